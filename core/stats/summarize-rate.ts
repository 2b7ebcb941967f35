// Summary of a rate over repeats (decode t/s, prompt t/s, aggregate t/s): mean and sd as summarize gives
// them, but the 95% interval is computed on the log scale, exp(mean(ln x) ± t · sd(ln x) / √n). A rate is
// positive and its noise multiplicative (a contended host halves a run, it never subtracts a constant), so
// the normal interval of the mean can reach below 0 t/s on noisy repeats (issue 13 saw [-400.6, 1249.8])
// while the log-scale one cannot. It is the interval of the typical (geometric-mean) rate.
import { studentTQuantile } from "./student-t.js";
import { summarize, type Summary } from "./summarize.js";

export interface RateSummary extends Summary {
  /** Geometric mean, the centre of the log-scale interval; NaN when n = 0. */
  geoMean: number;
  /** How ci95 was computed: `log` normally; `truncated` when a value was 0 or less (then the normal interval cut at 0). */
  ciScale: "log" | "truncated";
}

export function summarizeRate(xs: readonly number[]): RateSummary {
  const base = summarize(xs);
  if (xs.length === 0) return { ...base, geoMean: Number.NaN, ciScale: "log" };
  if (xs.some((x) => !(x > 0))) {
    // a zero rate (nothing generated) has no logarithm: keep the ordinary interval, never below 0
    const ci95: [number, number] = [Math.max(0, base.ci95[0]), base.ci95[1]];
    return {
      ...base,
      ci95: Number.isNaN(base.ci95[0]) ? base.ci95 : ci95,
      geoMean: Number.NaN,
      ciScale: "truncated",
    };
  }
  const logs = xs.map(Math.log);
  const m = logs.reduce((s, x) => s + x, 0) / logs.length;
  const geoMean = Math.exp(m);
  if (xs.length < 2) return { ...base, geoMean, ciScale: "log" };
  const sdLog = Math.sqrt(logs.reduce((s, x) => s + (x - m) ** 2, 0) / (logs.length - 1));
  const half = studentTQuantile(0.975, logs.length - 1) * (sdLog / Math.sqrt(logs.length));
  return { ...base, ci95: [Math.exp(m - half), Math.exp(m + half)], geoMean, ciScale: "log" };
}
