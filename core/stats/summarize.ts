// Mean, sample standard deviation and a 95% t interval of the mean over repeats.
import { studentTQuantile } from "./student-t.js";

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); NaN when n < 2. */
  sd: number;
  /** 95% confidence interval of the mean (Student's t, n - 1 df); [NaN, NaN] when n < 2. */
  ci95: [number, number];
}

export function summarize(xs: readonly number[]): Summary {
  const n = xs.length;
  if (n === 0) return { n, mean: Number.NaN, sd: Number.NaN, ci95: [Number.NaN, Number.NaN] };
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / n;
  if (n < 2) return { n, mean, sd: Number.NaN, ci95: [Number.NaN, Number.NaN] };
  let squares = 0;
  for (const x of xs) squares += (x - mean) ** 2;
  const sd = Math.sqrt(squares / (n - 1));
  const half = studentTQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return { n, mean, sd, ci95: [mean - half, mean + half] };
}
