// The reproduction verdict: do new measurements agree with old ones within noise?
//
// Rule (docs/metrics.md): ratio = mean(b) / mean(a). Its 95% interval comes from Welch's t interval of
// mean(b) - mean(a) (unequal variances, Welch-Satterthwaite df), divided by mean(a). The verdict is
// "agree" when that interval contains 1 (no detectable difference), or when it lies entirely within
// 1 ± tolerance (a real but negligible difference, e.g. very precise runs 1% apart). Otherwise "differ".
// With fewer than two values on a side there is no noise estimate: the interval is [ratio, ratio] and the
// verdict falls to the tolerance alone.
import { studentTQuantile } from "./student-t.js";

export interface AgreementOptions {
  /** Relative difference treated as negligible. @default 0.05 */
  tolerance?: number;
}

export interface Agreement {
  verdict: "agree" | "differ";
  /** mean(b) / mean(a). */
  ratio: number;
  /** 95% interval of the ratio. */
  ci95: [number, number];
}

/** Mean and sample variance (n - 1; NaN for a single value). */
export function meanAndVariance(xs: readonly number[]): { mean: number; variance: number } {
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let squares = 0;
  for (const x of xs) squares += (x - mean) ** 2;
  return { mean, variance: xs.length > 1 ? squares / (xs.length - 1) : Number.NaN };
}

export function agreeWithinNoise(
  a: readonly number[],
  b: readonly number[],
  opts: AgreementOptions = {},
): Agreement {
  if (a.length === 0 || b.length === 0)
    throw new RangeError("agreeWithinNoise needs at least one value on each side");
  const tolerance = opts.tolerance ?? 0.05;
  const A = meanAndVariance(a);
  const B = meanAndVariance(b);
  const ratio = B.mean / A.mean;
  let ci95: [number, number] = [ratio, ratio];
  if (a.length > 1 && b.length > 1) {
    const va = A.variance / a.length;
    const vb = B.variance / b.length;
    const se = Math.sqrt(va + vb);
    const df =
      se === 0
        ? Number.POSITIVE_INFINITY
        : (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
    const t = Number.isFinite(df) ? studentTQuantile(0.975, df) : 1.959963984540054;
    const diff = B.mean - A.mean;
    ci95 = [1 + (diff - t * se) / A.mean, 1 + (diff + t * se) / A.mean];
    if (A.mean < 0) ci95 = [ci95[1], ci95[0]];
  }
  return { verdict: agreementVerdict(ci95, tolerance), ratio, ci95 };
}

/** The rule above for any 95% interval of a ratio: agree when it contains 1 or lies within 1 ± tolerance. */
export function agreementVerdict(ci95: readonly [number, number], tolerance: number): Agreement["verdict"] {
  const containsOne = ci95[0] <= 1 && 1 <= ci95[1];
  const negligible = ci95[0] >= 1 - tolerance && ci95[1] <= 1 + tolerance;
  return containsOne || negligible ? "agree" : "differ";
}
