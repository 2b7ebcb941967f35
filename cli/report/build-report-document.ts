// Assembles the report's sections in reading order: the verdict per host first (cli/report/verdict-table.ts),
// then what ran, the charts, the answers and recommendations, then the detail tables and what was not
// counted and why.
import { describeLoads } from "./model-loads.js";
import type { HostSnapshot, SweepRecord } from "../store/store-records.js";
import type { Answer } from "./answer-questions.js";
import { CHART_NAMES, type ChartSpec } from "./chart-specs.js";
import { describeUnrecorded } from "./host-charts.js";
import type { Block, ReportDocument } from "./report-document.js";
import {
  baselineTable,
  greedyTable,
  hostsTable,
  invalidTables,
  kTable,
  memoryTable,
  temperatureTable,
  type Table,
} from "./report-tables.js";
import type { SweepAnalysis } from "./sweep-analysis.js";
import { VERDICT_HEADERS, verdictRow, type Verdict } from "./verdict-table.js";

export interface ReportInput {
  sweep: SweepRecord;
  hosts: HostSnapshot[];
  analysis: SweepAnalysis;
  answers: Answer[];
  verdicts: Verdict[];
  recommendations: string[];
  charts: ChartSpec[];
  missingCharts: string[];
  /** Task categories, llama-bench baselines and tree drafting (cli/report/method-sections.ts). */
  methodBlocks?: Block[];
}

const MISSING_CHART_REASON: Record<string, string> = {
  "k-throughput": "no valid speculative results at a fixed K",
  "temperature-acceptance": "no speculative results with acceptance figures",
  speedup: "no speculative results with a baseline on the same host to compare with",
  batching: "no parallel cells in this sweep",
  hardware: "no pair and temperature ran on two or more hosts",
  time: "no result carries timing figures",
};

/** The answer's sentence, and where some of its data is too noisy, how much and why. */
const answerHeadline = (ans: Answer): string =>
  ans.status === "partly-noisy" ? `${ans.short} Partly too noisy: ${ans.reason}.` : ans.short;

export function buildReportDocument(input: ReportInput): ReportDocument {
  const { sweep, hosts, analysis: a, answers, verdicts, recommendations, charts, missingCharts } = input;
  const blocks: Block[] = [];
  const table = (t: Table, empty: string): void => {
    if (t.rows.length === 0) blocks.push({ kind: "paragraph", text: empty });
    else blocks.push({ kind: "table", headers: t.headers, rows: t.rows });
  };
  const chart = (name: string): void => {
    const c = charts.find((x) => x.name === name);
    if (c !== undefined) blocks.push({ kind: "chart", name: c.name, title: c.title });
    else if (missingCharts.includes(name))
      blocks.push({
        kind: "paragraph",
        text: `No ${name} chart: ${MISSING_CHART_REASON[name] ?? "no data"}.`,
      });
  };

  blocks.push({ kind: "heading", level: 1, text: "Verdict" });
  for (const hostId of a.hostIds) {
    blocks.push({ kind: "heading", level: 2, text: `Verdict: ${hostId}` });
    const rows = verdicts.filter((v) => v.hostId === hostId).map(verdictRow);
    if (rows.length === 0)
      blocks.push({ kind: "paragraph", text: `No speculative results on ${hostId}: no verdict.` });
    else blocks.push({ kind: "table", headers: [...VERDICT_HEADERS], rows, role: "verdict" });
  }

  blocks.push({ kind: "heading", level: 1, text: "What ran" });
  blocks.push({
    kind: "paragraph",
    text:
      `Sweep ${sweep.sweepId}${sweep.name === undefined ? "" : ` (${sweep.name})`}, state ${sweep.state}` +
      `${sweep.submittedAt === undefined ? "" : `, submitted ${sweep.submittedAt}`}. ` +
      `${a.counts.results} results from ${a.hostIds.length} host(s): ${a.counts.ok} valid, ${a.counts.invalid} invalid, ` +
      `${a.counts.failed} failed. Means are over valid results only and carry n, sd and a 95% interval ` +
      `(throughput intervals on the log scale, so never below 0 t/s); speedups are geometric means of the ` +
      `paired speculative/baseline ratios with a t interval on their logarithms (docs/metrics.md).`,
  });
  if (a.loads.length > 0) blocks.push({ kind: "list", items: a.loads.map(describeLoads) });
  if (a.counts.withoutCell > 0) {
    blocks.push({
      kind: "paragraph",
      text: `${a.counts.withoutCell} result(s) have no stored cell parameters and are left out of the analysis; pull the sweep definition from its coordinator to include them.`,
    });
  }

  blocks.push({ kind: "heading", level: 1, text: "Charts" });
  for (const name of CHART_NAMES) chart(name);
  if (charts.some((c) => c.name === "time")) {
    const gaps = a.loads.map(describeUnrecorded).filter((x): x is string => x !== undefined);
    blocks.push({
      kind: "paragraph",
      text:
        "Idle time is not recorded: the store keeps when each cell started and ended, not when an agent waited for work, so no bar shows it." +
        (gaps.length > 0 ? ` ${gaps.join(" ")}` : ""),
    });
  }

  blocks.push({ kind: "heading", level: 1, text: "Answers" });
  for (const ans of answers) {
    blocks.push({ kind: "heading", level: 2, text: ans.title });
    blocks.push({ kind: "paragraph", text: answerHeadline(ans) });
    const items = [...ans.details, ...ans.tooNoisy.map((why) => `Too noisy to answer from: ${why}.`)];
    if (items.length > 0) blocks.push({ kind: "details", summary: "How this was worked out", items });
  }
  blocks.push({ kind: "heading", level: 1, text: "Recommendations for production" });
  blocks.push(
    recommendations.length > 0
      ? { kind: "list", items: recommendations }
      : { kind: "paragraph", text: "The sweep holds no figures a recommendation could rest on." },
  );

  blocks.push({ kind: "heading", level: 1, text: "Tables" });
  blocks.push({ kind: "heading", level: 2, text: "Hosts" });
  table(hostsTable(hosts), "No host snapshots stored for this sweep.");
  blocks.push({ kind: "heading", level: 2, text: "Baseline throughput" });
  table(baselineTable(a), "No valid baseline results.");
  for (const hostId of a.hostIds) {
    blocks.push({ kind: "heading", level: 2, text: `K table: ${hostId}` });
    table(kTable(a, hostId), `No valid speculative results on ${hostId}.`);
    blocks.push({ kind: "heading", level: 2, text: `Temperature table: ${hostId}` });
    table(temperatureTable(a, hostId), `No valid speculative results on ${hostId}.`);
  }
  blocks.push({ kind: "heading", level: 2, text: "Memory: target alone vs with draft" });
  table(memoryTable(a), "No memory figures.");
  blocks.push(...(input.methodBlocks ?? []));

  blocks.push({ kind: "heading", level: 1, text: "Greedy output check" });
  if (a.greedyChecked === 0) {
    blocks.push({
      kind: "paragraph",
      text: "No temperature-0 speculative result had a baseline with a token hash to compare with: not checked.",
    });
  } else if (a.greedyMismatches.length === 0) {
    const g = a.greedy;
    blocks.push({
      kind: "paragraph",
      text:
        g.distinct === 0
          ? `Only drafts identical to their target were checked (${g.identicalDraftRuns} runs): they cannot disagree with it, so greedy losslessness is not shown by this sweep.`
          : `${g.distinct} distinct greedy comparisons (different draft, K or text; against ${g.distinctBaselineTexts} distinct baseline output(s)) all match their baseline's tokens. ` +
            `${a.greedyChecked} runs were checked in all; repeats that reproduce the same texts count once` +
            (g.identicalDraftRuns > 0
              ? `, and ${g.identicalDraftRuns} runs whose draft is the target itself are left out of that count.`
              : "."),
    });
  } else {
    blocks.push({
      kind: "paragraph",
      text: `FLAGGED: ${a.greedyMismatches.length} of ${a.greedyChecked} greedy (temperature 0) speculative outputs differ from the baseline output of the same prompt and seed. Greedy speculative decoding must reproduce the target's output; these runs point at a sampler or numerics problem.`,
    });
    table(greedyTable(a), "");
  }

  blocks.push({ kind: "heading", level: 1, text: "Invalid and failed results" });
  if (a.invalid.length === 0) {
    blocks.push({ kind: "paragraph", text: "None: every result was valid." });
  } else {
    const inv = invalidTables(a);
    blocks.push({
      kind: "paragraph",
      text: `${a.invalid.length} result(s) were not counted in any mean. By reason:`,
    });
    table(inv.byReason, "");
    table(inv.listed, "");
    if (inv.notListed > 0) {
      blocks.push({
        kind: "paragraph",
        text: `... and ${inv.notListed} more (see \`specgrid results export\`).`,
      });
    }
  }
  return { title: `specgrid report: ${sweep.name ?? sweep.sweepId}`, blocks };
}
