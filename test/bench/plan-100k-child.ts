// Child process of the plan-100k benchmark: load and plan one manifest, print timings and memory as JSON.
// A fresh process per run, so its peak RSS (getrusage maxrss) belongs to this one plan and nothing else.
import { loadManifest } from "../../core/manifest/load-manifest.js";
import { planSweep } from "../../core/plan/plan-sweep.js";

const file = process.argv[2];
if (file === undefined) throw new Error("usage: plan-100k-child.ts MANIFEST");
const kib = 1024;
const rssBeforeMib = process.memoryUsage().rss / kib / kib;
const t0 = performance.now();
const manifest = await loadManifest(file);
const t1 = performance.now();
const cpu0 = process.cpuUsage();
const plan = planSweep(manifest);
const t2 = performance.now();
const cpu = process.cpuUsage(cpu0);
const heapAfterMib = process.memoryUsage().heapUsed / kib / kib;
process.stdout.write(
  JSON.stringify({
    cells: plan.cells.length,
    shards: plan.shards.length,
    loadMs: t1 - t0,
    planMs: t2 - t1,
    totalMs: t2 - t0,
    // user + system CPU of planSweep: on a shared box, wall time also holds time spent waiting for a core
    planCpuMs: (cpu.user + cpu.system) / 1000,
    rssBeforeMib,
    peakRssMib: process.resourceUsage().maxRSS / kib,
    heapAfterMib,
  }) + "\n",
);
