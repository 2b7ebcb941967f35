// α, the per-token acceptance of the theory, estimated from accepted-by-position where the engine records it.
//
// Under the theory a step accepts draft token i only if it accepted tokens 0..i-1, each with chance α. Over
// a run, every accepted token is a success and every step that hit a rejection ended with one failure, so
// the maximum-likelihood estimate is α = A / (A + R), A = accepted tokens, R = steps that hit a rejection
// (steps that accepted all K end without a failure). With per-position rates r[i] (accepted / drafted at
// position i, every step drafting K), R = steps · (1 - r[K-1]).
//
// Tokens per step = decoded / steps is biased as an α estimate: it counts the last, truncated step, so an
// identical draft (every token accepted) gave α = 0.982 and a "ceiling" 1/(1-α) = 54; A / (A + R) gives 1.

export interface PositionRun {
  /** Fixed K of the run. */
  k: number;
  /**
   * Counts instead of rates (llama-server /metrics): drafts, and accepted tokens per position. Drafts can
   * be short (the server drafts at most n_remaining - 1 near the end), so only positions every draft
   * reached count: with s = K·drafts - drafted tokens missing, every draft has at least m = K - s
   * positions, and over positions 0..m-1 the successes are Σ accepted[i] and the trials drafts (position 0)
   * plus accepted[i-1] (position i, reached by the drafts that accepted i-1). With s = 0 this is A / (A + R).
   */
  counts?: { drafts: number; acceptedByPosition: readonly number[] };
  nAccept: number;
  nDrafted: number;
  /** Drafting steps. Without them a short draft (p_min, end of text) cannot be told from a full one, so the run is left out. */
  targetSteps?: number;
  /** acceptByPosition[i] = accepted / drafted at draft position i. */
  acceptByPosition: readonly number[];
}

export interface GeometricAlpha {
  alpha: number;
  /** A: accepted tokens, and R: steps that hit a rejection, summed over the runs used. */
  accepted: number;
  rejectingSteps: number;
  /** Runs used (those with a rate for every position up to K, their step count, and whole drafts every step). */
  runs: number;
}

/** Pools A and R over runs; undefined when no run carries usable per-position acceptance. */
export function geometricAlpha(runs: readonly PositionRun[]): GeometricAlpha | undefined {
  let accepted = 0;
  let rejecting = 0;
  let used = 0;
  for (const r of runs) {
    if (r.counts !== undefined) {
      const c = fromCounts(r.k, r.nDrafted, r.counts);
      if (c === undefined) continue;
      accepted += c.successes;
      rejecting += c.trials - c.successes;
      used++;
      continue;
    }
    if (!Number.isInteger(r.k) || r.k < 1 || r.acceptByPosition.length < r.k) continue;
    const steps = r.targetSteps;
    // every step must have drafted all K for one denominator to hold at every position
    if (steps === undefined || !(steps > 0) || Math.abs(steps * r.k - r.nDrafted) > 0.5) continue;
    const full = r.acceptByPosition[r.k - 1]!;
    if (!(full >= 0 && full <= 1)) continue;
    accepted += r.nAccept;
    rejecting += steps * (1 - full);
    used++;
  }
  if (used === 0 || accepted + rejecting === 0) return undefined;
  return { alpha: accepted / (accepted + rejecting), accepted, rejectingSteps: rejecting, runs: used };
}

function fromCounts(
  k: number,
  nDrafted: number,
  counts: { drafts: number; acceptedByPosition: readonly number[] },
): { successes: number; trials: number } | undefined {
  const { drafts, acceptedByPosition: a } = counts;
  if (!Number.isInteger(k) || k < 1 || !(drafts > 0) || !Number.isInteger(nDrafted)) return undefined;
  const m = k - (k * drafts - nDrafted);
  if (m < 1 || m > k || a.length < m) return undefined;
  let successes = 0;
  let trials = drafts;
  for (let i = 0; i < m; i++) {
    const ai = a[i]!;
    if (!(ai >= 0)) return undefined;
    successes += ai;
    if (i < m - 1) trials += ai;
  }
  return successes <= trials ? { successes, trials } : undefined;
}
