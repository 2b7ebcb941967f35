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
