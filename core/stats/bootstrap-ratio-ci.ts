// Percentile bootstrap interval for a ratio of means, e.g. speedup = mean speculative decode t/s over mean
// baseline decode t/s. Equal-length inputs are treated as pairs (index i of each ran back to back on one
// host) and resampled together, which keeps the pairing's noise cancellation; otherwise each side is
// resampled on its own.
import { seededRandom } from "./seeded-random.js";

export interface BootstrapOptions {
  seed: number;
  /** Resamples; 2000 gives stable 95% percentiles. */
  iterations: number;
  /** Resample num[i] with den[i]. @default true when the lengths are equal */
  paired?: boolean;
}

function percentile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

/** 95% interval of mean(num) / mean(den); [NaN, NaN] when either side is empty. */
export function bootstrapRatioCi(
  num: readonly number[],
  den: readonly number[],
  opts: BootstrapOptions,
): [number, number] {
  if (num.length === 0 || den.length === 0 || opts.iterations < 1) return [Number.NaN, Number.NaN];
  const paired = opts.paired ?? num.length === den.length;
  if (paired && num.length !== den.length) {
    throw new RangeError(`paired bootstrap needs equal lengths (got ${num.length} and ${den.length})`);
  }
  const random = seededRandom(opts.seed);
  const ratios: number[] = [];
  for (let it = 0; it < opts.iterations; it++) {
    let sumNum = 0;
    let sumDen = 0;
    if (paired) {
      for (let i = 0; i < num.length; i++) {
        const j = Math.floor(random() * num.length);
        sumNum += num[j] ?? 0;
        sumDen += den[j] ?? 0;
      }
    } else {
      for (let i = 0; i < num.length; i++) sumNum += num[Math.floor(random() * num.length)] ?? 0;
      for (let i = 0; i < den.length; i++) sumDen += den[Math.floor(random() * den.length)] ?? 0;
    }
    const ratio = sumNum / num.length / (sumDen / den.length);
    if (Number.isFinite(ratio)) ratios.push(ratio);
  }
  if (ratios.length === 0) return [Number.NaN, Number.NaN];
  ratios.sort((a, b) => a - b);
  return [percentile(ratios, 0.025), percentile(ratios, 0.975)];
}
