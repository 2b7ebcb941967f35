// engine: decode tokens/s of the in-process engine on the synthetic models, baseline and speculative
// (target + 2 %-noise draft, K = 4, temperature 0), in one session per kind. Two figures per kind: the
// engine's own decodeTps (tokens over its timed decode loop) and tokens over the whole runCell call as the
// caller sees it; the gap is the engine's per-cell overhead (sequence reset, prompt, result building).
// llama.cpp's own statistics (llama_perf_context_print) are not reachable for the same run: node-llama-cpp
// prints them only through LlamaContext.printTimings() on contexts created with performanceTracking, as log
// text, and the engine creates its contexts without it and logs at error level. The result says so.
import type { Cell } from "../../core/cell.js";
import { InProcessEngine } from "../../agents/engines/in-process/in-process-engine.js";
import { benchResult, runStats, type BenchResult } from "./bench-result.js";
import { demoPlan } from "./demo-plan.js";

const LLAMA_CPP_STATS =
  "not available: node-llama-cpp exposes llama.cpp's perf counters only as printTimings() log text on " +
  "contexts created with performanceTracking, which the in-process engine does not enable";

interface KindRun {
  engineTps: number;
  callerTps: number;
}

export async function benchEngine(runs: number): Promise<BenchResult> {
  const { plan, resolve } = await demoPlan();
  const first = (pred: (c: Cell) => boolean): Cell => {
    const cell = plan.cells.find(pred);
    if (!cell) throw new Error("the demo grid lost the cell this benchmark runs");
    return cell;
  };
  const common = (c: Cell): boolean => c.temperature === 0 && c.promptIndex === 0 && c.repeat === 0;
  const baseline = first((c) => common(c) && c.kind === "baseline");
  const speculative = first(
    (c) =>
      common(c) &&
      c.kind === "speculative" &&
      c.draft?.name === "draft-n0.02" &&
      c.k?.kind === "fixed" &&
      c.k.k === 4,
  );
  const engine = new InProcessEngine();
  try {
    const backend = await engine.describe();
    const measure = async (cell: Cell): Promise<{ runs: KindRun[]; acceptRate?: number }> => {
      const key = cell.kind === "baseline" ? { ...cell, draft: undefined } : cell;
      const session = await engine.openSession({ key, models: resolve(key) });
      const out: KindRun[] = [];
      let acceptRate: number | undefined;
      try {
        await session.runCell(cell); // warm-up: first-use allocations are not decode speed
        for (let i = 0; i < runs; i++) {
          const t0 = performance.now();
          const outcome = await session.runCell(cell);
          const callMs = performance.now() - t0;
          const m = outcome.metrics;
          if (outcome.status !== "ok" || m === undefined) {
            throw new Error(`${cell.kind} cell ended ${outcome.status}: ${outcome.message ?? ""}`);
          }
          out.push({ engineTps: m.decodeTps, callerTps: m.nDecoded / (callMs / 1000) });
          acceptRate = m.acceptRate;
        }
      } finally {
        await session.close();
      }
      return acceptRate === undefined ? { runs: out } : { runs: out, acceptRate };
    };
    const base = await measure(baseline);
    const spec = await measure(speculative);
    const med = (xs: KindRun[], f: (r: KindRun) => number): number => runStats(xs.map(f)).median;
    return benchResult(
      "engine",
      "tokens/s",
      spec.runs.map((r) => r.engineTps),
      undefined,
      {
        figure: "speculative decode t/s (engine's decodeTps); baseline and caller-side figures beside it",
        backend,
        n_predict: baseline.nPredict,
        baseline_engine_tps_median: med(base.runs, (r) => r.engineTps),
        baseline_caller_tps_median: med(base.runs, (r) => r.callerTps),
        speculative_engine_tps_median: med(spec.runs, (r) => r.engineTps),
        speculative_caller_tps_median: med(spec.runs, (r) => r.callerTps),
        speculative_accept_rate: spec.acceptRate,
        llama_cpp_stats: LLAMA_CPP_STATS,
      },
    );
  } finally {
    await engine.dispose();
  }
}
