// plan-100k: `plan` of a 100,000-cell manifest (load + validate + expand + shard), each run in a fresh
// child process so peak RSS is that of one plan: time (ms) and peak RSS (MiB, getrusage maxrss).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchResult, meetsTarget, runStats, type BenchResult } from "./bench-result.js";
import { PLAN_100K, gridCells, writeGridManifest } from "./bench-manifests.js";
import { runChild } from "./run-child.js";

interface PlanRun {
  cells: number;
  shards: number;
  loadMs: number;
  planMs: number;
  planCpuMs: number;
  totalMs: number;
  rssBeforeMib: number;
  peakRssMib: number;
  heapAfterMib: number;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "plan-100k-child.ts");
const PEAK_TARGET = { direction: "below", value: 300 } as const;

export async function benchPlan100k(dir: string, runs: number): Promise<BenchResult> {
  const manifest = await writeGridManifest(dir, "plan-100k", PLAN_100K);
  const results: PlanRun[] = [];
  for (let i = 0; i < runs; i++) results.push(await runChild<PlanRun>(CHILD, [manifest], 120_000));
  const cells = results[0]!.cells;
  if (cells !== gridCells(PLAN_100K))
    throw new Error(`planned ${cells} cells, expected ${gridCells(PLAN_100K)}`);
  const peak = runStats(results.map((r) => r.peakRssMib));
  return benchResult(
    "plan-100k",
    "ms",
    results.map((r) => r.totalMs),
    { direction: "below", value: 1000 },
    {
      cells,
      shards: results[0]!.shards,
      load_ms_median: runStats(results.map((r) => r.loadMs)).median,
      plan_ms_median: runStats(results.map((r) => r.planMs)).median,
      plan_cpu_ms_median: runStats(results.map((r) => r.planCpuMs)).median,
      peak_rss_mib_median: peak.median,
      peak_rss_mib_max: peak.max,
      rss_before_mib_median: runStats(results.map((r) => r.rssBeforeMib)).median,
      memory_method: "peak RSS of a fresh child process (getrusage maxrss), Node and tsx included",
    },
    [{ text: "peak RSS < 300 MiB", meets: meetsTarget(peak.max, PEAK_TARGET) }],
  );
}
