// The fleet benchmark's arithmetic, from what it measured: idle time while eligible work waited (agent
// busy intervals against sampled pool backlogs), the ideal makespan (Σ work ÷ agent capacity), percentiles.
// Pure functions over measured samples; nothing here estimates a figure the benchmark did not measure.

/** One sample of the job pools: when it was taken and which pools had undelivered work then. */
export interface BacklogSample {
  atMs: number;
  /** Pools whose consumer had messages not yet delivered (num_pending > 0). */
  waiting: ReadonlySet<string>;
}

/** Length of the overlap of [a0, a1] with the union of `intervals` (which may overlap each other). */
export function overlapMs(a0: number, a1: number, intervals: readonly (readonly [number, number])[]): number {
  const clipped = intervals
    .map(([s, e]) => [Math.max(s, a0), Math.min(e, a1)] as const)
    .filter(([s, e]) => e > s)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [s, e] of clipped) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total;
}

export interface IdleWhileWaiting {
  /** Time one of the agent's pools held undelivered work, between consecutive samples, ms. */
  waitingMs: number;
  /** Of that time, how long the agent held no shard, ms. */
  idleMs: number;
}

/**
 * For one agent: over each interval between consecutive backlog samples in [fromMs, toMs] where one of its
 * eligible pools had undelivered work at the interval's start, the time the agent was not inside a session.
 * The resolution is the sampling interval.
 */
export function idleWhileWaiting(
  samples: readonly BacklogSample[],
  eligiblePools: ReadonlySet<string>,
  busy: readonly (readonly [number, number])[],
  fromMs: number,
  toMs: number,
): IdleWhileWaiting {
  let waitingMs = 0;
  let idleMs = 0;
  for (let i = 0; i + 1 < samples.length; i++) {
    const s = samples[i]!;
    const a0 = Math.max(s.atMs, fromMs);
    const a1 = Math.min(samples[i + 1]!.atMs, toMs);
    if (a1 <= a0) continue;
    if (![...s.waiting].some((p) => eligiblePools.has(p))) continue;
    waitingMs += a1 - a0;
    idleMs += a1 - a0 - overlapMs(a0, a1, busy);
  }
  return { waitingMs, idleMs };
}

/**
 * The makespan no schedule can beat: all work (in base ms, i.e. on a host of slowdown 1) spread perfectly
 * over the fleet's capacity (Σ 1/slowdown). Eligibility and pinning only make the real optimum longer.
 */
export function idealMakespanMs(totalBaseMs: number, slowdowns: readonly number[]): number {
  const capacity = slowdowns.reduce((s, x) => s + 1 / x, 0);
  if (!(capacity > 0)) throw new Error("idealMakespanMs needs at least one agent");
  return totalBaseMs / capacity;
}
