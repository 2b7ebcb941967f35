// The shape every benchmark reports, and the statistics behind it. A benchmark hands over the samples it
// measured; the figures printed are computed here from those samples and nothing else.

/** One benchmark's line of `npm run bench -- --json`. */
export interface BenchResult {
  name: string;
  /** Unit of median/min/max, e.g. `ms`, `cells/s`, `results/s`. */
  unit: string;
  median: number;
  min: number;
  max: number;
  /** Samples the statistics are over. */
  runs: number;
  /** The target in words, e.g. `< 1000 ms`. */
  target: string;
  /** Whether every targeted figure (the median, and any extra targeted figure) meets its target. */
  meets: boolean;
  /** Further measured figures (peak memory, percentiles, ratios, counts). Never an estimate. */
  [extra: string]: unknown;
}

export interface RunStats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Median (mean of the middle two for an even count), min, max and count of measured samples. */
export function runStats(samples: readonly number[]): RunStats {
  if (samples.length === 0) throw new Error("runStats needs at least one measured sample");
  if (samples.some((s) => !Number.isFinite(s))) {
    throw new Error(`runStats got a non-finite sample (${samples.join(", ")}): a measurement went wrong`);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/** The q-quantile (0..1) by nearest rank over measured samples, e.g. p99 of per-cell overheads. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new Error("quantile needs at least one measured sample");
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export type TargetDirection = "below" | "at-least";

export interface TargetSpec {
  direction: TargetDirection;
  value: number;
}

export function targetText(t: TargetSpec, unit: string): string {
  return `${t.direction === "below" ? "<" : ">="} ${t.value} ${unit}`;
}

export function meetsTarget(value: number, t: TargetSpec): boolean {
  return t.direction === "below" ? value < t.value : value >= t.value;
}

/**
 * A result from measured samples; `extra` carries further measured figures, and `extraMeets` the verdicts of
 * further targets (e.g. peak memory), so `meets` is true only when all of them hold.
 */
export function benchResult(
  name: string,
  unit: string,
  samples: readonly number[],
  /** undefined: the issue sets no target for this figure (it is reported for comparison). */
  target: TargetSpec | undefined,
  extra: Record<string, unknown> = {},
  extraTargets: { text: string; meets: boolean }[] = [],
): BenchResult {
  const stats = runStats(samples);
  const core = {
    name,
    unit,
    ...stats,
    target: [
      target === undefined ? "none" : targetText(target, unit),
      ...extraTargets.map((t) => t.text),
    ].join("; "),
    meets: (target === undefined || meetsTarget(stats.median, target)) && extraTargets.every((t) => t.meets),
  };
  // extra figures follow the core ones and can never overwrite them
  return Object.assign({ ...core }, extra, core);
}
