// Leviathan et al. (2023), "Fast Inference from Transformers via Speculative Decoding": with per-token
// acceptance α and K draft tokens per step, one target step yields on average (1 - α^(K+1)) / (1 - α)
// tokens; a step costs K draft forward passes at c target-pass each plus one target pass, so the
// expected speedup over the target alone is that yield divided by (Kc + 1).

function checkInputs(alpha: number, k: number, c = 0): void {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1] (got ${alpha})`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`K must be a whole number >= 1 (got ${k})`);
  if (!(c >= 0) || !Number.isFinite(c)) throw new RangeError(`c must be a finite number >= 0 (got ${c})`);
}

/** Expected tokens per target step; at α = 1 every draft is accepted, the limit K + 1. */
export function expectedTokensPerStep(alpha: number, k: number): number {
  checkInputs(alpha, k);
  if (alpha === 1) return k + 1;
  return (1 - alpha ** (k + 1)) / (1 - alpha);
}

/** Expected walltime speedup over the target alone; c = draft forward-pass cost / target forward-pass cost. */
export function expectedSpeedup(alpha: number, c: number, k: number): number {
  checkInputs(alpha, k, c);
  return expectedTokensPerStep(alpha, k) / (k * c + 1);
}

/**
 * The theory with measured costs: E(α, K) / (K·c + v), c = draft cost per token and v = cost of the K + 1
 * position verification pass, both in target passes (core/theory/measured-cost.ts). v = 1 is the textbook.
 */
export function expectedSpeedupWithVerify(alpha: number, c: number, v: number, k: number): number {
  checkInputs(alpha, k, c);
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`v must be a finite number > 0 (got ${v})`);
  return expectedTokensPerStep(alpha, k) / (k * c + v);
}
