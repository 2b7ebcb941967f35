// The 95% interval of a ratio of throughputs (speedup = speculative / baseline decode t/s), computed on the
// log scale. Timing noise is multiplicative (a slow host slows both runs of a pair by the same factor), so
// the log of a ratio is close to normal and a t interval on it keeps its promised coverage with few
// repeats; a percentile bootstrap over n = 4 covers about 80%, not 95% (test/unit/stats-coverage.test.ts).
//
// Paired (index i of each side ran back to back on one host): the interval is the t interval of the mean of
// log(num[i] / den[i]), n - 1 df; the point ratio is the geometric mean of the paired ratios. Unpaired: the
// Welch interval of mean(log num) - mean(log den) (Welch-Satterthwaite df); the point ratio is the ratio of
// geometric means. Both ends are exp() of a finite number, so the interval is never negative.
import { meanAndVariance } from "./agree-within-noise.js";
import { studentTQuantile } from "./student-t.js";

export type RatioMethod = "paired-log-t" | "welch-log-t";

export interface RatioInterval {
  /** Geometric mean of the paired ratios (paired) or ratio of geometric means (unpaired). */
  ratio: number;
  /** 95% interval of `ratio`; [NaN, NaN] when there is no noise estimate (n < 2 on a side). */
  ci95: [number, number];
  method: RatioMethod;
  /** Pairs (paired) or the smaller side's count (unpaired), after dropping unusable values. */
  n: number;
  /** Values (unpaired) or pairs (paired) left out because a rate was 0, negative or not finite. */
  dropped: number;
}

export interface RatioIntervalOptions {
  /** Treat num[i] and den[i] as a pair. @default true when the lengths are equal */
  paired?: boolean;
  /** Two-sided coverage. @default 0.95 */
  level?: number;
}

const usable = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x) && x > 0;

export function ratioInterval(
  num: readonly number[],
  den: readonly number[],
  opts: RatioIntervalOptions = {},
): RatioInterval {
  const paired = opts.paired ?? num.length === den.length;
  const method: RatioMethod = paired ? "paired-log-t" : "welch-log-t";
  const level = opts.level ?? 0.95;
  let dropped = 0;
  const none = (ratio: number, n: number): RatioInterval => ({
    ratio,
    ci95: [Number.NaN, Number.NaN],
    method,
    n,
    dropped,
  });
  const q = 1 - (1 - level) / 2;
  if (paired) {
    if (num.length !== den.length)
      throw new RangeError(`a paired ratio needs equal lengths (got ${num.length} and ${den.length})`);
    // a rate of 0 has no logarithm (nothing was timed): such a pair carries no ratio
    const logs: number[] = [];
    num.forEach((x, i) => {
      const y = den[i];
      if (usable(x) && usable(y)) logs.push(Math.log(x / y));
      else dropped++;
    });
    if (logs.length === 0) return none(Number.NaN, 0);
    const { mean, variance } = meanAndVariance(logs);
    const ratio = Math.exp(mean);
    if (logs.length < 2) return none(ratio, logs.length);
    const half = studentTQuantile(q, logs.length - 1) * Math.sqrt(variance / logs.length);
    return { ratio, ci95: [Math.exp(mean - half), Math.exp(mean + half)], method, n: logs.length, dropped };
  }
  const nums = num.filter(usable);
  const dens = den.filter(usable);
  dropped = num.length - nums.length + den.length - dens.length;
  if (nums.length === 0 || dens.length === 0) return none(Number.NaN, 0);
  const a = meanAndVariance(nums.map(Math.log));
  const b = meanAndVariance(dens.map(Math.log));
  const ratio = Math.exp(a.mean - b.mean);
  const n = Math.min(nums.length, dens.length);
  if (nums.length < 2 || dens.length < 2) return none(ratio, n);
  const va = a.variance / nums.length;
  const vb = b.variance / dens.length;
  const se = Math.sqrt(va + vb);
  const df =
    se === 0
      ? Number.POSITIVE_INFINITY
      : (va + vb) ** 2 / (va ** 2 / (nums.length - 1) + vb ** 2 / (dens.length - 1));
  const t = Number.isFinite(df) ? studentTQuantile(q, df) : studentTQuantile(q, 1e9);
  const d = a.mean - b.mean;
  return { ratio, ci95: [Math.exp(d - t * se), Math.exp(d + t * se)], method, n, dropped };
}
