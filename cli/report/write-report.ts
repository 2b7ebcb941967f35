// `specgrid report`: reads a sweep from the store, analyses it, renders the charts and writes report.md,
// a self-contained report.html and chart-*.svg / chart-*.png into outDir.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import type { Store } from "../store/open-store.js";
import { StoreError } from "../store/store-error.js";
import { analyzeSweep } from "./analyze-sweep.js";
import { answerQuestions, type Answer } from "./answer-questions.js";
import { buildReportDocument } from "./build-report-document.js";
import { chartSpecs } from "./chart-specs.js";
import { methodSections } from "./method-sections.js";
import { recommendCommands, type ServerRecommendation } from "./recommend-command.js";
import { recommend } from "./recommend.js";
import { renderChart } from "./render-chart.js";
import { renderHtml, renderMarkdown } from "./report-document.js";
import type { SweepAnalysis } from "./sweep-analysis.js";
import { verdicts as verdictsOf, type Verdict } from "./verdict-table.js";

export interface WriteReportOptions {
  store: Store;
  sweepId: string;
  outDir: string;
}

export interface ReportResult {
  /** Absolute paths of the files written. */
  files: string[];
  answers: Answer[];
  recommendations: string[];
  /** Per host and target: the llama-server command line of the best paying configuration, or none. */
  serverCommands: ServerRecommendation[];
  /** The verdict per host and pair the report opens with. */
  verdicts: Verdict[];
  analysis: SweepAnalysis;
  /** Charts not drawn for lack of data. */
  missingCharts: string[];
}

/**
 * What the report, compare and reproduce never read from a result, so it is left in the database: the
 * generated text (up to KBs per row) and the stderr tail, words that no figure is computed from.
 */
const NOT_ANALYSED = ["text", "stderrTail"] as const;

/** Refuses a sweep with no results or only invalid ones, saying why (the reasons are the useful part). */
export function loadValidSweep(store: Store, sweepId: string): ReturnType<Store["results"]> {
  store.requireSweep(sweepId);
  const results = store.results(sweepId, { omit: NOT_ANALYSED });
  if (results.length === 0) {
    throw new StoreError(
      "STORE_NO_VALID",
      `sweep ${sweepId} has no results in ${store.file} yet. Run \`specgrid results pull --sweep ${sweepId}\` first.`,
      { sweepId },
    );
  }
  if (!results.some((r) => r.status === "ok")) {
    const reasons = new Map<string, number>();
    for (const r of results) {
      const reason = r.invalidReason ?? r.status;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    throw new StoreError(
      "STORE_NO_VALID",
      `sweep ${sweepId} has ${results.length} result(s) and none is valid (${[...reasons]
        .map(([k, n]) => `${k}: ${n}`)
        .join(
          ", ",
        )}). Nothing can be averaged; see \`specgrid results list --sweep ${sweepId}\` for the messages.`,
      { sweepId, reasons: Object.fromEntries(reasons) },
    );
  }
  return results;
}

export async function writeReport(opts: WriteReportOptions): Promise<ReportResult> {
  const { store, sweepId } = opts;
  const sweep = store.requireSweep(sweepId);
  const results = loadValidSweep(store, sweepId);
  const hosts = store.hosts(sweepId);
  const precision = (sweep.manifestResolved as { sweep?: { precision?: { relCi: number } } } | undefined)
    ?.sweep?.precision;
  const analysis = analyzeSweep(
    sweepId,
    results,
    store.models(),
    precision === undefined ? {} : { precision },
  );
  const answers = answerQuestions(analysis);
  const serverCommands = recommendCommands(analysis, results, hosts);
  const recommendations = [...recommend(analysis, answers), ...serverCommands.map((c) => c.text)];
  const verdicts = verdictsOf(analysis);
  const { charts, missing } = chartSpecs(analysis);

  const outDir = path.resolve(opts.outDir);
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const svgs = new Map<string, string>();
  for (const c of charts) {
    const { svg, png } = await renderChart(c.spec);
    svgs.set(c.name, svg);
    const svgFile = path.join(outDir, `chart-${c.name}.svg`);
    const pngFile = path.join(outDir, `chart-${c.name}.png`);
    await writeFile(svgFile, svg);
    await writeFile(pngFile, png);
    files.push(svgFile, pngFile);
  }
  const doc = buildReportDocument({
    sweep,
    hosts,
    analysis,
    answers,
    verdicts,
    recommendations,
    charts,
    missingCharts: missing,
    methodBlocks: methodSections(results, analysis),
  });
  const md = path.join(outDir, "report.md");
  const html = path.join(outDir, "report.html");
  await writeFile(md, renderMarkdown(doc));
  await writeFile(html, renderHtml(doc, svgs));
  files.unshift(md, html);
  return { files, answers, recommendations, serverCommands, verdicts, analysis, missingCharts: missing };
}
