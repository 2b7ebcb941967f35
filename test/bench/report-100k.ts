// report-100k: writeReport (analysis, answers, every chart as SVG and PNG, Markdown and HTML) over a stored
// sweep of >= 100,000 results. Loading the store is setup and not timed; each run writes a fresh out dir.
import path from "node:path";
import type { Store } from "../../cli/store/open-store.js";
import { analyzeSweep } from "../../cli/report/analyze-sweep.js";
import { chartSpecs } from "../../cli/report/chart-specs.js";
import { renderChart } from "../../cli/report/render-chart.js";
import { writeReport } from "../../cli/report/write-report.js";
import { benchResult, runStats, type BenchResult } from "./bench-result.js";

export async function benchReport100k(
  store: Store,
  sweepId: string,
  resultCount: number,
  dir: string,
  runs: number,
): Promise<BenchResult> {
  const samples: number[] = [];
  const cpuMs: number[] = [];
  let files = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const report = await writeReport({ store, sweepId, outDir: path.join(dir, `report-${i}`) });
    samples.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    files = report.files.length;
  }
  // one more pass through the same public steps writeReport takes, timed one by one: where the time goes
  const t0 = performance.now();
  const stored = store.results(sweepId);
  const t1 = performance.now();
  const analysis = analyzeSweep(sweepId, stored, store.models());
  const t2 = performance.now();
  const { charts } = chartSpecs(analysis);
  for (const c of charts) await renderChart(c.spec);
  const t3 = performance.now();
  return benchResult(
    "report-100k",
    "ms",
    samples,
    { direction: "below", value: 5000 },
    {
      results: resultCount,
      files_written: files,
      // CPU time of this process per report: on a shared box the wall time also holds time waiting for a core
      cpu_ms_median: runStats(cpuMs).median,
      breakdown_read_results_ms: t1 - t0,
      breakdown_analyze_ms: t2 - t1,
      breakdown_render_charts_ms: t3 - t2,
      breakdown_method: "one extra pass, each step timed alone (read, analyze, chart specs + SVG/PNG render)",
    },
  );
}
