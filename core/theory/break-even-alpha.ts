// The acceptance below which speculation is slower than the target alone, for a given draft cost and K.
import { expectedSpeedupWithVerify } from "./expected-speedup.js";

/**
 * The α at which E(α, K) / (K·c + v) = 1, found by bisection (the speedup rises monotonically with α); v is
 * the verification pass's cost in target passes (1 in the textbook). 0 when even α = 0 pays (K·c + v ≤ 1);
 * null when no α pays (even α = 1 yields K + 1 tokens for a cost above K + 1 target passes).
 */
export function breakEvenAlpha(c: number, k: number, v = 1): number | null {
  const speedup = (alpha: number): number => expectedSpeedupWithVerify(alpha, c, v, k);
  if (speedup(0) >= 1) return 0;
  const atOne = speedup(1);
  if (atOne < 1) return null;
  if (atOne === 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 100 && hi - lo > 1e-13; i++) {
    const mid = (lo + hi) / 2;
    if (speedup(mid) < 1) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
