// Number formatting for report text and tables: one place decides digits, so the Markdown, the HTML and
// the tests that recompute figures from the database read the same strings.
import type { Summary } from "../../core/stats/summarize.js";

/** Fixed digits; "n/a" for NaN or missing. */
export function formatNumber(x: number | undefined | null, digits = 2): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return "n/a";
  return x.toFixed(digits);
}

export function formatCi(ci: readonly [number, number] | undefined, digits = 2): string {
  if (ci === undefined || !Number.isFinite(ci[0]) || !Number.isFinite(ci[1])) return "n/a";
  return `[${formatNumber(ci[0], digits)}, ${formatNumber(ci[1], digits)}]`;
}

/** `12.34 (n=6, sd 0.21, 95% CI [12.12, 12.56])`: every mean carries its n, sd and interval. */
export function formatSummary(s: Summary, digits = 2): string {
  if (s.n === 0) return "n/a (n=0)";
  return `${formatNumber(s.mean, digits)} (n=${s.n}, sd ${formatNumber(s.sd, digits)}, 95% CI ${formatCi(s.ci95, digits)})`;
}

export function formatPct(fraction: number | undefined, digits = 1): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return "n/a";
  return `${(fraction * 100).toFixed(digits)}%`;
}
