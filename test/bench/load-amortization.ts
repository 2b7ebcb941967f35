// load-amortization: a subset of the demo grid with the in-process engine on the synthetic models, run
// twice per run, side by side: naive (one engine session, i.e. one model load, per cell, as a shell loop
// calling llama-speculative per cell would) and sharded (one session per planned shard, as agents run it).
// The subset: baseline and speculative cells of the first prompt (every pair, K, temperature and repeat),
// 13 cells per shard; the second prompt and the parallel cells would only repeat the same picture for minutes.
// Naive baseline cells load the target alone, as llama-completion would. The Llama binding itself is
// loaded once for both modes and counted in neither.
import type { Cell, ShardKey } from "../../core/cell.js";
import { InProcessEngine } from "../../agents/engines/in-process/in-process-engine.js";
import type { Engine, ResolvedModels } from "../../agents/engines/engine.js";
import { benchResult, runStats, type BenchResult } from "./bench-result.js";
import { demoPlan } from "./demo-plan.js";

interface ModeRun {
  wallMs: number;
  sessions: number;
  modelLoads: number;
  loadMs: number;
  failedCells: number;
}

const loadsOf = (models: ResolvedModels): number => (models.draftPath === undefined ? 1 : 2);

async function runGroups(
  engine: Engine,
  groups: { key: ShardKey; models: ResolvedModels; cells: Cell[] }[],
): Promise<ModeRun> {
  const run: ModeRun = { wallMs: 0, sessions: 0, modelLoads: 0, loadMs: 0, failedCells: 0 };
  const t0 = performance.now();
  for (const g of groups) {
    const session = await engine.openSession({ key: g.key, models: g.models });
    run.sessions++;
    run.modelLoads += loadsOf(g.models);
    run.loadMs += session.loadMs;
    try {
      for (const cell of g.cells) {
        const outcome = await session.runCell(cell);
        if (outcome.status === "failed") run.failedCells++;
      }
    } finally {
      await session.close();
    }
  }
  run.wallMs = performance.now() - t0;
  return run;
}

export async function benchLoadAmortization(_dir: string, runs: number): Promise<BenchResult> {
  const { plan, resolve } = await demoPlan();
  const pick = (c: Cell): boolean => c.kind !== "parallel" && c.promptIndex === 0;
  const sharded = plan.shards
    .map((s) => ({ key: s.key, models: resolve(s.key), cells: s.cells.filter(pick) }))
    .filter((g) => g.cells.length > 0);
  const naive = sharded.flatMap((g) =>
    g.cells.map((cell) => {
      // a baseline run loads the target alone
      const key: ShardKey = cell.kind === "baseline" ? { ...g.key, draft: undefined } : g.key;
      return { key, models: resolve(key), cells: [cell] };
    }),
  );
  const cells = naive.length;
  const engine = new InProcessEngine();
  try {
    await engine.describe(); // load the binding before timing either mode
    const ratios: number[] = [];
    const naiveRuns: ModeRun[] = [];
    const shardedRuns: ModeRun[] = [];
    for (let i = 0; i < runs; i++) {
      // alternate which goes first, so neither always runs on a warmer page cache
      if (i % 2 === 0) {
        naiveRuns.push(await runGroups(engine, naive));
        shardedRuns.push(await runGroups(engine, sharded));
      } else {
        shardedRuns.push(await runGroups(engine, sharded));
        naiveRuns.push(await runGroups(engine, naive));
      }
      ratios.push(naiveRuns[i]!.wallMs / shardedRuns[i]!.wallMs);
    }
    const failed = [...naiveRuns, ...shardedRuns].reduce((n, r) => n + r.failedCells, 0);
    if (failed > 0) throw new Error(`${failed} cell(s) failed: the comparison would not be like for like`);
    const shardConfigs = new Set(sharded.map((g) => JSON.stringify(g.key))).size;
    const onePerConfig = shardedRuns.every((r) => r.sessions === shardConfigs);
    return benchResult(
      "load-amortization",
      "x faster",
      ratios,
      { direction: "at-least", value: 3 },
      {
        cells,
        shards: sharded.length,
        shard_configurations: shardConfigs,
        naive_wall_ms_median: runStats(naiveRuns.map((r) => r.wallMs)).median,
        sharded_wall_ms_median: runStats(shardedRuns.map((r) => r.wallMs)).median,
        naive_sessions: naiveRuns[0]!.sessions,
        sharded_sessions: shardedRuns[0]!.sessions,
        naive_model_loads: naiveRuns[0]!.modelLoads,
        sharded_model_loads: shardedRuns[0]!.modelLoads,
        naive_load_ms_median: runStats(naiveRuns.map((r) => r.loadMs)).median,
        sharded_load_ms_median: runStats(shardedRuns.map((r) => r.loadMs)).median,
        subset:
          "tiny-grid.yaml: baseline + speculative cells of prompt 0 (all pairs, Ks, temperatures, repeats)",
      },
      [{ text: "sharded sessions = one per shard configuration", meets: onePerConfig }],
    );
  } finally {
    await engine.dispose();
  }
}
