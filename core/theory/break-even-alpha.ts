// The acceptance below which speculation is slower than the target alone, for a given draft cost and K.
import { expectedSpeedup } from "./expected-speedup.js";

/**
 * The α at which expectedSpeedup(α, c, K) = 1, found by bisection (speedup rises monotonically with α).
 * 0 when the draft is free (c = 0: any acceptance pays); null when no α pays (c > 1: even α = 1 yields
 * K + 1 tokens for a cost above K + 1 target passes).
 */
export function breakEvenAlpha(c: number, k: number): number | null {
  if (expectedSpeedup(0, c, k) >= 1) return 0;
  const atOne = expectedSpeedup(1, c, k);
  if (atOne < 1) return null;
  if (atOne === 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 100 && hi - lo > 1e-13; i++) {
    const mid = (lo + hi) / 2;
    if (expectedSpeedup(mid, c, k) < 1) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
