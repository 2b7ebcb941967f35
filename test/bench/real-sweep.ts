// real-sweep: the 40-cell grid of issue 11 (one pair, K 2/4/6/8 x temperature 0.1/0.5/0.7/1.0/1.5 x 2
// repeats, each speculative cell with its paired baseline run: 80 cells) on real llama.cpp binaries, two ways in one
// run with the same binaries and threads = 1:
//   specgrid: the sweep submitted to the daemons (nats-server, coordinator, one agent) with the
//             llama-server engine, which starts one server per configuration (4 K + 1 baseline);
//   naive:    the seed lab's loop, one llama-speculative process per speculative cell and one
//             llama-completion process per baseline cell, one after another.
// Both on the lab family (a 160 MiB F16 target: a load that costs something, with its draft-d8) and on the
// tiny family (3 MB models, where a load is nearly free). Measured: wall times (specgrid: submit to the
// sweep's end; the daemons' start is reported beside it), server starts and their load times (the agent's
// log), processes and their printed load times (naive), generation time per cell (prompt + decode as
// llama.cpp timed it), and efficiency = (sum of generation time + one load per configuration) / wall.
// Skipped, with the reason printed, when no llama.cpp build is found (SPECGRID_LLAMA_BIN, or the cache of
// `specgrid llama build`).
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Cell, EngineName } from "../../core/cell.js";
import type { CellMetrics } from "../../core/metrics.js";
import { loadManifest } from "../../core/manifest/load-manifest.js";
import { planSweep } from "../../core/plan/plan-sweep.js";
import { createEngine } from "../../agents/engines/create-engine.js";
import type { Engine } from "../../agents/engines/engine.js";
import { probeLlamaBuild, type LlamaBuildProbe } from "../../agents/probe/probe-llama-build.js";
import { chooseLlamaBin } from "../../cli/workflows/llama-build.js";
import { synthesizeLabFamily } from "../../core/gguf/synth-lab-family.js";
import { startDaemonStack } from "../support/daemon-stack.js";
import { getModelFamily } from "../support/model-family.js";
import { benchResult, runStats, type BenchResult } from "./bench-result.js";

const PROMPT = "The quick brown fox jumps over the lazy dog and";
const N_PREDICT = 32;
const CONFIGURATIONS = 5; // 4 K values + 1 baseline

interface FamilyCase {
  name: "lab" | "tiny";
  /** Speedup the issue asks of specgrid over the naive loop. */
  targetSpeedup: number;
  models(dir: string): Promise<{ target: string; draft: string; targetBytes: string }>;
}

const CASES: FamilyCase[] = [
  {
    name: "lab",
    targetSpeedup: 1.2,
    async models(dir) {
      const files = await synthesizeLabFamily({ outDir: dir, seed: 1, draftDepths: [8] });
      const target = files.find((f) => f.role === "target")!;
      const draft = files.find((f) => f.role === "draft" && f.depth === 8)!;
      return { target: target.path, draft: draft.path, targetBytes: `${(target.bytes / 1e6).toFixed(1)} MB` };
    },
  },
  {
    name: "tiny",
    targetSpeedup: 1,
    async models(dir) {
      const family = await getModelFamily();
      await copyFile(family.target, path.join(dir, "target.gguf"));
      await copyFile(family.drafts.get(0.02)!, path.join(dir, "draft-n0.02.gguf"));
      return {
        target: path.join(dir, "target.gguf"),
        draft: path.join(dir, "draft-n0.02.gguf"),
        targetBytes: "3.4 MB",
      };
    },
  },
];

interface ModeRun {
  wallMs: number;
  /** llama.cpp processes started for cells (servers, or one per cell). */
  processes: number;
  /** Load time of each of those processes, ms (server: start to healthy; CLI: llama.cpp's printed load). */
  loadMs: number[];
  /** prompt + decode time per cell, as llama.cpp timed it, ms. */
  genMs: number[];
  valid: number;
  cells: number;
  /** specgrid only: nats-server, coordinator and agent start, ms (outside wallMs). */
  stackStartMs?: number;
}

const genOf = (m: CellMetrics | undefined): number => (m ? (m.promptMs ?? 0) + m.decodeMs : 0);
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

async function runSpecgrid(build: LlamaBuildProbe, modelDir: string, manifest: string): Promise<ModeRun> {
  const t0 = performance.now();
  const stack = await startDaemonStack({
    engine: await createEngine("llama-server", {
      llama: { build, loadTimeoutMs: 300_000, cellTimeoutMs: 300_000 },
    }),
    engineName: "llama-server",
    llamaBuild: build,
    modelDirs: [modelDir],
  });
  const stackStartMs = performance.now() - t0;
  try {
    const run = await stack.runSweep(manifest, 1_800_000);
    const started = stack.agentLog.filter((l) => l.msg === "llama-server started");
    return {
      wallMs: run.wallMs,
      processes: started.length,
      loadMs: started.map((l) => Number(l.loadMs)),
      genMs: run.results.map((r) => genOf(r.outcome.metrics)),
      valid: run.results.filter((r) => r.outcome.status === "ok").length,
      cells: run.results.length,
      stackStartMs,
    };
  } finally {
    await stack.stop();
  }
}

async function runNaive(
  engines: Record<"llama-speculative" | "llama-completion", Engine>,
  cells: readonly Cell[],
  paths: { target: string; draft: string },
): Promise<ModeRun> {
  const run: ModeRun = { wallMs: 0, processes: 0, loadMs: [], genMs: [], valid: 0, cells: cells.length };
  const t0 = performance.now();
  for (const planned of cells) {
    const tool = planned.kind === "baseline" ? "llama-completion" : "llama-speculative";
    const cell: Cell = { ...planned, engine: tool };
    const session = await engines[tool].openSession({
      key: { engine: tool, target: cell.target, llama: cell.llama },
      models:
        tool === "llama-completion"
          ? { targetPath: paths.target }
          : { targetPath: paths.target, draftPath: paths.draft },
    });
    try {
      const outcome = await session.runCell(cell);
      run.processes++;
      run.loadMs.push(outcome.metrics?.loadMs ?? NaN);
      run.genMs.push(genOf(outcome.metrics));
      if (outcome.status === "ok") run.valid++;
    } finally {
      await session.close();
    }
  }
  run.wallMs = performance.now() - t0;
  return run;
}

/** (sum of generation time + one load per configuration) / wall: 1 = nothing but useful work and 5 loads. */
function efficiency(r: ModeRun, loadPerConfigMs: number): number {
  return (sum(r.genMs) + CONFIGURATIONS * loadPerConfigMs) / r.wallMs;
}

async function benchCase(
  c: FamilyCase,
  build: LlamaBuildProbe,
  dir: string,
  runs: number,
): Promise<BenchResult> {
  const modelDir = path.join(dir, `real-sweep-${c.name}`);
  await mkdir(modelDir, { recursive: true });
  const paths = await c.models(modelDir);
  const manifest = path.join(modelDir, "grid.json");
  await writeFile(
    manifest,
    JSON.stringify({
      name: `real-sweep-${c.name}`,
      models: {
        target: { file: path.basename(paths.target) },
        draft: { file: path.basename(paths.draft) },
      },
      pairs: [{ target: "target", draft: "draft" }],
      prompts: [PROMPT],
      sweep: {
        k: [2, 4, 6, 8],
        temperature: [0.1, 0.5, 0.7, 1.0, 1.5],
        n_predict: N_PREDICT,
        repeats: 2,
        seed: 7,
      },
      baseline: true,
      engine: "llama-server",
      llama: { gpu_layers: 0, ctx: 256, threads: 1 },
    }),
  );
  const cells = planSweep(await loadManifest(manifest)).cells;
  const cli = { build, timeoutMs: 300_000 };
  const engines = {
    "llama-speculative": await createEngine("llama-speculative", { llama: cli }),
    "llama-completion": await createEngine("llama-completion", { llama: cli }),
  };
  const specgrid: ModeRun[] = [];
  const naive: ModeRun[] = [];
  for (let i = 0; i < runs; i++) {
    // alternate which goes first, so neither always runs on a warmer page cache
    if (i % 2 === 0) {
      naive.push(await runNaive(engines, cells, paths));
      specgrid.push(await runSpecgrid(build, modelDir, manifest));
    } else {
      specgrid.push(await runSpecgrid(build, modelDir, manifest));
      naive.push(await runNaive(engines, cells, paths));
    }
  }
  const med = (rs: ModeRun[], f: (r: ModeRun) => number): number => runStats(rs.map(f)).median;
  const ratios = specgrid.map((s, i) => naive[i]!.wallMs / s.wallMs);
  // one load per configuration: the mean server load of that run
  const eff = specgrid.map((s) => efficiency(s, sum(s.loadMs) / s.loadMs.length));
  const maxStarts = Math.max(...specgrid.map((s) => s.processes));
  const allValid = [...specgrid, ...naive].every((r) => r.valid === r.cells && r.cells === cells.length);
  const ms = (v: number): number => Math.round(v);
  return benchResult(
    `real-sweep-${c.name}`,
    "x faster",
    ratios,
    { direction: "at-least", value: c.targetSpeedup },
    {
      target_model: paths.targetBytes,
      draft_model: path.basename(paths.draft),
      cells: cells.length,
      n_predict: N_PREDICT,
      threads: 1,
      specgrid_wall_ms_median: ms(med(specgrid, (r) => r.wallMs)),
      naive_wall_ms_median: ms(med(naive, (r) => r.wallMs)),
      specgrid_daemons_start_ms_median: ms(med(specgrid, (r) => r.stackStartMs ?? 0)),
      specgrid_server_starts: specgrid.map((r) => r.processes).join(","),
      naive_processes: naive.map((r) => r.processes).join(","),
      specgrid_valid: specgrid.map((r) => `${r.valid}/${r.cells}`).join(","),
      naive_valid: naive.map((r) => `${r.valid}/${r.cells}`).join(","),
      specgrid_load_ms_total_median: ms(med(specgrid, (r) => sum(r.loadMs))),
      specgrid_load_ms_per_server_median: ms(med(specgrid, (r) => sum(r.loadMs) / r.loadMs.length)),
      naive_load_ms_total_median: ms(med(naive, (r) => sum(r.loadMs))),
      naive_load_ms_per_process_median: ms(med(naive, (r) => sum(r.loadMs) / r.loadMs.length)),
      specgrid_gen_ms_total_median: ms(med(specgrid, (r) => sum(r.genMs))),
      naive_gen_ms_total_median: ms(med(naive, (r) => sum(r.genMs))),
      specgrid_efficiency_median: runStats(eff).median,
      naive_efficiency_median: runStats(naive.map((n) => efficiency(n, sum(n.loadMs) / n.loadMs.length)))
        .median,
      naive_load_share_median: runStats(naive.map((n) => sum(n.loadMs) / n.wallMs)).median,
    },
    [
      { text: "server starts <= 5", meets: maxStarts <= CONFIGURATIONS },
      { text: "every cell valid", meets: allValid },
      { text: "efficiency >= 0.9", meets: eff.every((e) => e >= 0.9) },
    ],
  );
}

/** The two results (lab, tiny), or the reason there are none. */
export async function benchRealSweep(
  dir: string,
  runs: number,
): Promise<BenchResult[] | { skipped: string }> {
  const choice = await chooseLlamaBin(process.env.SPECGRID_LLAMA_BIN);
  if (choice === undefined) {
    return {
      skipped:
        "no llama.cpp build: set SPECGRID_LLAMA_BIN=<build>/bin or run 'specgrid llama build' (cached under ~/.cache/specgrid)",
    };
  }
  const build = await probeLlamaBuild(choice.binDir);
  const need: EngineName[] = ["llama-server", "llama-speculative", "llama-completion"];
  const missing = need.filter((t) => !build.tools[t as keyof typeof build.tools]);
  if (missing.length > 0) return { skipped: `${choice.binDir} lacks ${missing.join(", ")}` };
  process.stderr.write(`real-sweep: llama.cpp in ${choice.binDir}\n`);
  const results: BenchResult[] = [];
  for (const c of CASES) results.push(await benchCase(c, build, dir, runs));
  return results;
}
