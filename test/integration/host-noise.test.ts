// Host noise on real processes: the probe counts the agent's own process tree (itself and its children) as
// the engine's CPU and everything else as other processes'; busy loops outside the tree make a cell
// contended. End to end, a sweep run through the daemons (in-process engine, the synthetic family) beside
// two bounded CPU hogs stores every cell as contended, with the figures, in the results database.
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEngine } from "../../agents/engines/create-engine.js";
import {
  HostNoiseMonitor,
  MIN_NOISE_WINDOW_MS,
  startHostNoise,
} from "../../agents/probe/host-noise-probe.js";
import { openStore } from "../../cli/store/open-store.js";
import { startCpuHogs, type CpuHogs } from "../support/cpu-hogs.js";
import { startDaemonStack } from "../support/daemon-stack.js";
import { getModelFamily } from "../support/model-family.js";

const linux = process.platform === "linux";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let hogs: CpuHogs | undefined;
afterEach(() => {
  hogs?.stop();
  hogs = undefined;
});

describe.skipIf(!linux)("host-noise probe on real processes", () => {
  it("counts a busy child of this process as the engine's own CPU, not as other processes'", async () => {
    const child = spawn(process.execPath, ["-e", "const e = Date.now() + 3000; while (Date.now() < e) {}"], {
      stdio: "ignore",
    });
    try {
      await sleep(200);
      // the child's own CPU time, read directly: on a shared host it gets what the scheduler gives it
      const childJiffies = async (): Promise<number> => {
        const f = (await readFile(`/proc/${child.pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
        return Number(f[11]) + Number(f[12]);
      };
      const j0 = await childJiffies();
      const t0 = performance.now();
      const m = await startHostNoise(1);
      await sleep(1500);
      const noise = (await m.stop())!;
      const childCores = (await childJiffies()) - j0;
      const seconds = (performance.now() - t0) / 1000;
      expect(childCores / 100 / seconds).toBeGreaterThan(0.1);
      // the tree's time holds the child's (and this worker's own, on top)
      expect(noise.ownCpuCores).toBeGreaterThanOrEqual(childCores / 100 / seconds - 0.1);
      expect(noise.cores).toBe(os.availableParallelism());
      expect(noise.loadAvg1).toBeGreaterThanOrEqual(0);
      expect(noise.idleCores).toBeCloseTo(noise.cores - noise.otherCpuCores, 5);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("marks a cell contended beside two busy processes outside the tree, naming the figures", async () => {
    hogs = await startCpuHogs(2, 4_000);
    await sleep(200);
    const m = await startHostNoise(1);
    await sleep(1500);
    const noise = (await m.stop())!;
    expect(noise.otherCpuCores).toBeGreaterThan(Math.min(1, noise.cores - 0.5));
    expect(noise.contended).toBe(true);
    expect(noise.contendedReason).toMatch(/other processes kept [\d.]+ of \d+ cores busy/);
  });
});

describe.skipIf(!linux)("host-noise monitor", () => {
  it("gives a short cell figures over the last second, not over its own few ticks", async () => {
    const monitor = new HostNoiseMonitor().start();
    try {
      await sleep(1_300);
      const m = await monitor.measure(1);
      await sleep(50);
      const noise = (await m.stop())!;
      expect(noise.windowMs).toBeGreaterThanOrEqual(MIN_NOISE_WINDOW_MS);
      expect(noise.windowMs).toBeLessThan(MIN_NOISE_WINDOW_MS + 1_000);
      // a cell longer than the window is measured over itself
      const long = await monitor.measure(1);
      await sleep(1_500);
      const longNoise = (await long.stop())!;
      expect(longNoise.windowMs).toBeGreaterThanOrEqual(1_450);
      expect(longNoise.windowMs).toBeLessThan(2_000);
    } finally {
      monitor.stop();
    }
  });
});

describe.skipIf(!linux)("a sweep beside a CPU hog (daemons, in-process engine)", () => {
  let dir: string;
  let modelDir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-host-noise-"));
    modelDir = path.join(dir, "models");
    await mkdir(modelDir);
    const family = await getModelFamily();
    await copyFile(family.target, path.join(modelDir, "target.gguf"));
    await copyFile(family.drafts.get(0.02)!, path.join(modelDir, "draft.gguf"));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("stores every cell run beside two busy processes as contended, with load and other processes' CPU", async () => {
    const file = path.join(dir, "noisy.json");
    await writeFile(
      file,
      JSON.stringify({
        name: "noisy",
        models: { target: { file: "target.gguf" }, draft: { file: "draft.gguf" } },
        pairs: [{ target: "target", draft: "draft" }],
        prompts: ["The quick brown fox jumps over the lazy dog and"],
        sweep: { k: [2], temperature: [0], n_predict: 24, repeats: 2, seed: 3 },
        baseline: true,
        engine: "in-process",
        llama: { gpu_layers: 0, ctx: 256, threads: 1 },
      }),
    );
    const stack = await startDaemonStack({
      engine: await createEngine("in-process", { inProcess: { gpu: "cpu" } }),
      engineName: "in-process",
      modelDirs: [modelDir],
    });
    try {
      hogs = await startCpuHogs(2, 120_000);
      const run = await stack.runSweep(file, 120_000);
      hogs.stop();
      expect(run.status.state).toBe("done");
      expect(run.results).toHaveLength(4);
      for (const r of run.results) {
        const noise = r.outcome.metrics?.noise;
        expect(noise, `${r.cellId} has host noise`).toBeDefined();
        expect(noise!.engineThreads).toBe(1);
        expect(noise!.contended, JSON.stringify(noise)).toBe(true);
        expect(noise!.otherCpuCores).toBeGreaterThan(0.5);
      }
      const warn = stack.agentLog.filter(
        (l) => l.msg === "cell ran under contention: kept, never recommended from",
      );
      expect(warn).toHaveLength(4);
      // stored: the record is the noise column, which a query can filter on
      const store = openStore(path.join(dir, "results.db"));
      try {
        store.ingestResults(run.results);
        const rows = store.sqlite
          .prepare(
            "SELECT noise ->> '$.contended' AS contended, noise ->> '$.otherCpuCores' AS other_cpu_cores FROM results",
          )
          .all() as { contended: number; other_cpu_cores: number }[];
        expect(rows).toHaveLength(4);
        for (const row of rows) {
          expect(row.contended).toBe(1);
          expect(row.other_cpu_cores).toBeGreaterThan(0.5);
        }
        expect(store.results().map((r) => r.metrics?.noise?.contended)).toEqual([true, true, true, true]);
      } finally {
        store.close();
      }
    } finally {
      await stack.stop();
    }
  }, 180_000);
});
