// Run-time estimates for the plan. They are guesses from the manifest's `estimate:` block (assumed decode
// rate, model load time), not measurements; plan output says so. Decode only: prompt processing is short
// next to n_predict tokens of decode at the sizes sweeps use.
import type { Cell, EngineName } from "../cell.js";
import type { ManifestEstimate } from "../manifest/manifest.js";
import { ENGINE_TRAITS } from "../engines.js";
import { countServerConfigs } from "./server-blocks.js";

export function estimateCellMs(cell: Cell, estimate: ManifestEstimate): number {
  const speculative = cell.draft !== undefined;
  const tps = estimate.decodeTps * (speculative ? estimate.speculativeFactor : 1);
  // Parallel cells: assume no batching gain (requests decoded at the single-sequence rate), an upper bound.
  const tokens = cell.nPredict * (cell.kind === "parallel" ? (cell.requests ?? 1) : 1);
  // llama-bench runs its test `repetitions` times after one warm-up run
  if (cell.kind === "bench" && cell.bench !== undefined)
    return (tokens / tps) * 1000 * (cell.bench.repetitions + 1);
  return (tokens / tps) * 1000;
}

/** CLI engines start a process (and load the models) for every cell. */
export function loadsPerCell(engine: EngineName): boolean {
  return ENGINE_TRAITS[engine].loads === "cell";
}

/**
 * Engine processes (each loads its models) a shard of these cells starts: the CLI tools start one per cell,
 * llama-server one per server configuration (core/plan/server-blocks.ts), in-process one per shard.
 */
export function estimateLoads(engine: EngineName, cells: readonly Cell[]): number {
  const loads = ENGINE_TRAITS[engine].loads;
  if (loads === "session") return 1;
  if (loads === "cell") return cells.length;
  return countServerConfigs(cells);
}
