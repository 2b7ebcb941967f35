// Nothing in a manifest says whether a pair is aligned; the report decides it from the per-token α at the
// lowest temperature measured (K-free, unlike accepted/drafted), and prints this rule beside the answer.
// The answer, the temperature table and the acceptance chart all classify through this file.
import { summarize } from "../../core/stats/summarize.js";
import type { FitGroup } from "./sweep-analysis.js";

/** Pairs whose per-token acceptance α (at their lowest temperature) is at or above this are called aligned. */
export const ALIGNED_ACCEPTANCE = 0.5;

export type AlignmentClass = "aligned" | "misaligned";

export function alignmentOf(alpha: number): AlignmentClass {
  return alpha >= ALIGNED_ACCEPTANCE ? "aligned" : "misaligned";
}

export interface PairAlpha {
  /** Mean over the pair's hosts of each host's α at the temperature (each pooled over that host's runs). */
  alpha?: number;
  /** The fits it came from, one per host. */
  fits: FitGroup[];
}

/** A pair's α at one temperature over the hosts that have one. */
export function pairAlphaAt(fits: readonly FitGroup[], pair: string, temperature: number): PairAlpha {
  const mine = fits.filter((f) => f.pair === pair && f.temperature === temperature && f.alpha !== undefined);
  return mine.length === 0
    ? { fits: mine }
    : { alpha: summarize(mine.map((f) => f.alpha!)).mean, fits: mine };
}
