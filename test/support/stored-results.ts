// TEST DATA ONLY. A fake sweep (test/support/fake-results.ts) as the store hands it to the report: one
// StoredResult per CellResult with its cell joined, plus the host-noise records and metric edits the
// report, verdict and compare tests build their cases from, and the report document built from them. The
// product never imports this file.
import type { Cell } from "../../core/cell.js";
import type { HostNoise } from "../../core/measurement-protocol.js";
import type { CellMetrics, CellResult } from "../../core/metrics.js";
import { answerQuestions } from "../../cli/report/answer-questions.js";
import { buildReportDocument } from "../../cli/report/build-report-document.js";
import { chartSpecs } from "../../cli/report/chart-specs.js";
import { recommend } from "../../cli/report/recommend.js";
import type { ReportDocument } from "../../cli/report/report-document.js";
import type { SweepAnalysis } from "../../cli/report/sweep-analysis.js";
import { verdicts } from "../../cli/report/verdict-table.js";
import type { StoredResult } from "../../cli/store/store-records.js";
import { fakeSweep, type FakeSweep, type FakeSweepOptions } from "./fake-results.js";

/** The results as the store returns them: flat status, the metrics, and the cell where the sweep has it. */
export function storedResults(d: FakeSweep, results: CellResult[] = d.results): StoredResult[] {
  const cells = new Map(d.cells.map((c) => [c.cellId, c]));
  return results.map((r) => ({
    sweepId: r.sweepId,
    cellId: r.cellId,
    hostId: r.hostId,
    shardId: r.shardId,
    status: r.outcome.status,
    attempt: r.attempt,
    engine: r.engine,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    ...(r.outcome.metrics === undefined ? {} : { metrics: r.outcome.metrics }),
    ...(r.outcome.invalidReason === undefined ? {} : { invalidReason: r.outcome.invalidReason }),
    ...(cells.has(r.cellId) ? { cell: cells.get(r.cellId)! } : {}),
  }));
}

/** fakeSweep(opts) straight to stored results. */
export const fakeStored = (opts: FakeSweepOptions = {}): StoredResult[] => storedResults(fakeSweep(opts));

/**
 * The sweep's results with edited metrics: `edit` gets each result's metrics and cell and returns the
 * fields to change (or nothing to keep them). Results without metrics (failed ones) are kept as they are.
 */
export function editMetrics(
  d: FakeSweep,
  edit: (m: CellMetrics, cell: Cell | undefined, r: CellResult) => Partial<CellMetrics> | undefined,
): CellResult[] {
  const cellOf = new Map(d.cells.map((c) => [c.cellId, c]));
  return d.results.map((r) => {
    const m = r.outcome.metrics;
    if (m === undefined) return r;
    const change = edit(m, cellOf.get(r.cellId), r);
    return change === undefined ? r : { ...r, outcome: { ...r.outcome, metrics: { ...m, ...change } } };
  });
}

/** The metric changes that make a speculative run's draft accepted nowhere. */
export const noneAccepted = (m: CellMetrics): Partial<CellMetrics> => ({
  nAccept: 0,
  acceptRate: 0,
  acceptByPosition: (m.acceptByPosition ?? []).map(() => 0),
});

/** A host with nothing else running: 16 cores, one engine thread, 0.1 cores taken by others. */
export const QUIET_NOISE: HostNoise = {
  loadAvg1: 0.3,
  cores: 16,
  otherCpuCores: 0.1,
  engineThreads: 1,
  idleCores: 15.9,
  ownCpuCores: 1,
  windowMs: 1000,
  contended: false,
};

/** The same host beside a CPU hog: load 4.1, 2.2 cores taken by others, marked contended. */
export const CONTENDED_NOISE: HostNoise = {
  ...QUIET_NOISE,
  loadAvg1: 4.1,
  otherCpuCores: 2.2,
  idleCores: 13.8,
  contended: true,
  contendedReason: "other processes kept 2.20 of 16 cores busy",
};

/** The report's document for a fake sweep's analysis, its sections as `specgrid report` writes them. */
export function reportDocumentOf(d: FakeSweep, a: SweepAnalysis): ReportDocument {
  const answers = answerQuestions(a);
  const { charts, missing } = chartSpecs(a);
  return buildReportDocument({
    sweep: d.sweep,
    hosts: d.hosts,
    analysis: a,
    answers,
    verdicts: verdicts(a),
    recommendations: recommend(a, answers),
    charts,
    missingCharts: missing,
  });
}
