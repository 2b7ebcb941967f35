// The table `npm run bench` prints without --json: the figures of BenchResult, plus the extra fields.
import type { BenchResult } from "./bench-result.js";

const CORE = new Set(["name", "unit", "median", "min", "max", "runs", "target", "meets"]);

function show(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function formatTable(results: BenchResult[]): string {
  const header = ["benchmark", "median", "min", "max", "unit", "runs", "target", "meets"];
  const rows = results.map((r) => [
    r.name,
    show(r.median),
    show(r.min),
    show(r.max),
    r.unit,
    String(r.runs),
    r.target,
    r.meets ? "yes" : "NO",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), ""];
  for (const r of results) {
    const extras = Object.entries(r).filter(([k]) => !CORE.has(k));
    if (extras.length === 0) continue;
    out.push(`${r.name}:`);
    for (const [k, v] of extras) out.push(`  ${k}: ${show(v)}`);
  }
  return out.join("\n") + "\n";
}
