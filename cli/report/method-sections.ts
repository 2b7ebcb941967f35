// The report's sections for issue 14's extra dimensions, computed from the stored results:
// - per task category (prompt suites): pooled acceptance and paired speedup per host and method/pair, one
//   column per category, the way Spec-Bench tables methods against tasks;
// - llama-bench baselines (manifest llama_bench:) beside the engine's own baselines of the same target;
// - tree drafting (llama-speculative n_parallel / p_split): the speculative groups per tree setting.
// Every figure here is a mean, pooled count or interval of measured runs; a table with nothing measured
// is left out rather than filled with placeholders.
import { kLabel, methodOf, pairLabel, type Cell } from "../../core/cell.js";
import type { CellMetrics } from "../../core/metrics.js";
import { baselinePartner } from "../../core/plan/baseline-partner.js";
import { poolAcceptance } from "../../core/stats/pool-acceptance.js";
import { ratioInterval } from "../../core/stats/ratio-interval.js";
import { PROMPT_CATEGORIES } from "../../core/prompts/prompt-suites.js";
import { summarizeRate, type RateSummary } from "../../core/stats/summarize-rate.js";
import type { StoredResult } from "../store/store-records.js";
import { formatCi, formatNumber, formatPct } from "./format-number.js";
import { groupBy } from "./group-by.js";
import type { Block } from "./report-document.js";
import type { SweepAnalysis } from "./sweep-analysis.js";

type Valid = StoredResult & { cell: Cell; metrics: CellMetrics };

const isValid = (r: StoredResult): r is Valid =>
  r.status === "ok" && r.cell !== undefined && r.metrics !== undefined;

/** The speculative configuration a category row compares: pair and method, K, temperature, tree. */
function configLabel(c: Cell): string {
  const tree =
    c.nParallel === undefined
      ? ""
      : `, np ${c.nParallel}${c.pSplit === undefined ? "" : ` p_split ${c.pSplit}`}`;
  return `${pairLabel(c.target.name, c.draft?.name, methodOf(c))} K=${kLabel(c.k)} T=${c.temperature}${tree}`;
}

interface CategoryCell {
  speedup?: number;
  ci95?: [number, number];
  acceptance?: number;
  runs: number;
}

/** Pooled acceptance and the paired speedup of one configuration's runs in one category. */
function categoryCell(runs: readonly Valid[], partnerOf: (r: Valid) => Valid | undefined): CategoryCell {
  const pooled = poolAcceptance(runs.map((r) => r.metrics));
  const pairs = runs
    .map((r) => [r, partnerOf(r)] as const)
    .filter((p): p is readonly [Valid, Valid] => p[1] !== undefined);
  const out: CategoryCell = { runs: runs.length };
  if (pooled.rate !== undefined) out.acceptance = pooled.rate;
  if (pairs.length > 0) {
    const interval = ratioInterval(
      pairs.map(([s]) => s.metrics.decodeTps),
      pairs.map(([, b]) => b.metrics.decodeTps),
      { paired: true },
    );
    out.speedup = interval.ratio;
    out.ci95 = interval.ci95;
  }
  return out;
}

function formatCategoryCell(c: CategoryCell | undefined): string {
  if (c === undefined) return "";
  const speedup = c.speedup === undefined ? "no baseline" : `${formatNumber(c.speedup)}× ${formatCi(c.ci95)}`;
  return `${speedup}, acc ${formatPct(c.acceptance)} (n=${c.runs})`;
}

/** The suites' categories in suite order (core/prompts), other categories after them in first-seen order. */
function byCategoryOrder(a: string, b: string): number {
  const rank = (c: string): number => {
    const i = (PROMPT_CATEGORIES as readonly string[]).indexOf(c);
    return i === -1 ? PROMPT_CATEGORIES.length : i;
  };
  return rank(a) - rank(b);
}

function categorySections(valid: readonly Valid[], hostIds: readonly string[]): Block[] {
  const spec = valid.filter((r) => r.cell.kind === "speculative" && r.cell.category !== undefined);
  if (spec.length === 0) return [];
  const partnerOf = baselinePartner(valid.filter((r) => r.cell.kind === "baseline"));
  const blocks: Block[] = [
    { kind: "heading", level: 2, text: "Task categories" },
    {
      kind: "paragraph",
      text:
        "Per host, one row per speculative configuration and one column per prompt category: the paired " +
        "speedup over the same prompts' baselines (geometric mean, 95% t interval on the log ratios), the " +
        "pooled acceptance Σ accepted / Σ drafted and the runs it rests on. 'all' pools every category.",
    },
  ];
  for (const hostId of hostIds) {
    const onHost = spec.filter((r) => r.hostId === hostId);
    if (onHost.length === 0) continue;
    const categories = [...new Set(onHost.map((r) => r.cell.category as string))].sort(byCategoryOrder);
    const rows: string[][] = [];
    for (const [label, runs] of groupBy(onHost, (r) => configLabel(r.cell))) {
      const byCategory = groupBy(runs, (r) => r.cell.category as string);
      rows.push([
        label,
        ...categories.map((c) => {
          const rs = byCategory.get(c);
          return rs === undefined ? "" : formatCategoryCell(categoryCell(rs, partnerOf));
        }),
        formatCategoryCell(categoryCell(runs, partnerOf)),
      ]);
    }
    blocks.push({ kind: "heading", level: 3, text: `Task categories: ${hostId}` });
    blocks.push({
      kind: "table",
      headers: ["configuration", ...categories, "all"],
      rows,
      role: "categories",
    });
  }
  return blocks;
}

/**
 * A throughput over runs as its geometric mean with the log-scale interval around it (the interval's own
 * centre: an arithmetic mean of skewed runs can fall outside it) and n.
 */
function formatRate(r: RateSummary): string {
  return `${formatNumber(r.geoMean)} ${formatCi(r.ci95)} (n=${r.n})`;
}

function benchSection(valid: readonly Valid[], a: SweepAnalysis): Block[] {
  const bench = valid.filter((r) => r.cell.kind === "bench");
  if (bench.length === 0) return [];
  const rows: string[][] = [];
  for (const runs of groupBy(bench, (r) => `${r.hostId}|${r.cell.target.name}|${r.cell.nPredict}`).values()) {
    const first = runs[0]!;
    const tg = summarizeRate(runs.map((r) => r.metrics.decodeTps));
    const own = runs
      .map((r) => `${formatNumber(r.metrics.decodeTps)} ± ${formatNumber(r.metrics.decodeTpsSd)}`)
      .join("; ");
    const ppRuns = runs.filter((r) => r.metrics.promptTps !== undefined);
    const pp = ppRuns
      .map(
        (r) =>
          `pp${r.metrics.nPrompt ?? "?"} ${formatNumber(r.metrics.promptTps, 1)} ± ${formatNumber(r.metrics.promptTpsSd, 1)}`,
      )
      .join("; ");
    const server = a.baselines
      .filter((b) => b.hostId === first.hostId && b.target === first.cell.target.name)
      .map((b) => `T=${b.temperature}: ${formatRate(b.decodeTps)}`)
      .join("; ");
    rows.push([
      first.hostId,
      first.cell.target.name,
      `tg${first.cell.nPredict}`,
      formatRate(tg),
      own,
      String(first.cell.bench?.repetitions ?? ""),
      pp,
      server === "" ? "no valid baselines" : server,
    ]);
  }
  return [
    { kind: "heading", level: 2, text: "llama-bench baselines beside the sweep's baselines" },
    {
      kind: "paragraph",
      text:
        "llama-bench generates from synthetic tokens without sampling; each run's figure is llama-bench's own " +
        "mean ± sd over its repetitions, the number community llama-bench tables print. The sweep's " +
        "baselines decode the manifest's prompts through its engine at each temperature, so the two differ " +
        "by prompt processing, sampling and the engine's own overhead.",
    },
    {
      kind: "table",
      headers: [
        "host",
        "target",
        "test",
        "llama-bench t/s over runs: geo-mean (95% CI)",
        "each run: mean ± sd",
        "repetitions",
        "pp t/s: mean ± sd",
        "engine baseline decode t/s: geo-mean (95% CI)",
      ],
      rows,
      role: "llama-bench",
    },
  ];
}

function treeSection(a: SweepAnalysis): Block[] {
  const groups = a.speculative.filter((g) => g.nParallel !== undefined);
  if (groups.length === 0) return [];
  return [
    { kind: "heading", level: 2, text: "Tree drafting (llama-speculative n_parallel, p_split)" },
    {
      kind: "paragraph",
      text:
        "Acceptance here is llama-speculative's accepted tokens per draft position along the branch the target " +
        "kept (with more than one sequence it counts draft steps, not tree tokens; docs/metrics.md).",
    },
    {
      kind: "table",
      headers: [
        "host",
        "pair",
        "K",
        "T",
        "n_parallel",
        "p_split",
        "decode t/s",
        "n",
        "acceptance",
        "speedup",
        "95% CI",
      ],
      rows: groups.map((g) => [
        g.hostId,
        g.pair,
        String(g.k),
        String(g.temperature),
        String(g.nParallel),
        g.pSplit === undefined ? "" : String(g.pSplit),
        formatNumber(g.decodeTps.mean),
        String(g.decodeTps.n),
        formatPct(g.acceptPooled.rate),
        g.speedup === undefined ? "n/a" : `${formatNumber(g.speedup)}×`,
        formatCi(g.speedupCi95),
      ]),
      role: "tree",
    },
  ];
}

/** The category, llama-bench and tree sections, in that order; empty where the sweep has none of them. */
export function methodSections(results: readonly StoredResult[], a: SweepAnalysis): Block[] {
  const valid = results.filter(isValid);
  return [...categorySections(valid, a.hostIds), ...benchSection(valid, a), ...treeSection(a)];
}
