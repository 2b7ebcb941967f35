// Acceptance pooled over runs: Σ accepted / Σ drafted, the figure llama.cpp itself prints. A mean of per-run
// rates weighs a short run like a long one; pooling weighs every drafted token once. Pool only runs of one
// (host, pair, K, temperature): with fixed K the accepted/drafted ratio falls mechanically as K grows (a
// rejection wastes the rest of the draft), so pooling across K mixes different quantities. The ratio itself is
// core/metrics.ts's acceptRate, the one definition.
import { acceptRate } from "../metrics.js";

export interface AcceptanceCounts {
  nAccept?: number;
  nDrafted?: number;
}

export interface PooledAcceptance {
  nAccept: number;
  nDrafted: number;
  /** nAccept / nDrafted; undefined when nothing was drafted. */
  rate?: number;
  /** Runs that reported both counts. */
  runs: number;
}

export function poolAcceptance(runs: readonly AcceptanceCounts[]): PooledAcceptance {
  let nAccept = 0;
  let nDrafted = 0;
  let counted = 0;
  for (const r of runs) {
    if (r.nAccept === undefined || r.nDrafted === undefined) continue;
    if (!Number.isFinite(r.nAccept) || !Number.isFinite(r.nDrafted) || r.nDrafted < 0) continue;
    nAccept += r.nAccept;
    nDrafted += r.nDrafted;
    counted++;
  }
  const rate = acceptRate(nAccept, nDrafted);
  return rate === undefined
    ? { nAccept, nDrafted, runs: counted }
    : { nAccept, nDrafted, rate, runs: counted };
}
