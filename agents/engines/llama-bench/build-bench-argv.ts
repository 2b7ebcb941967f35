// argv for one llama-bench baseline cell: `llama-bench -m target -p 0 -n N -r R -o json -t T -ngl L`
// (and `-p P` for a pp test), every value passed explicitly (llama-bench's defaults, -p 512 -n 128 -r 5 and
// -t every core, would otherwise decide the run). llama-bench has its own argument parser with stable
// spellings, so the probe's job here is to confirm the build accepts each flag before the cell runs.
import type { Cell } from "../../../core/cell.js";
import { RejectedParameterError } from "../../../core/errors.js";
import type { ToolCapabilities } from "../../../core/tool-capabilities.js";

export interface BenchTool {
  path: string;
  /** Every flag the build's --help lists (agents/probe). */
  acceptedFlags: readonly string[];
  capabilities: ToolCapabilities;
}

/** The full argv (program first) for a bench cell with `threads` threads. Throws RejectedParameterError. */
export function buildBenchArgv(tool: BenchTool, cell: Cell, targetPath: string, threads: number): string[] {
  const bench = cell.bench;
  if (cell.kind !== "bench" || bench === undefined) {
    throw new RejectedParameterError(
      `engine llama-bench runs llama-bench baselines only; cell ${cell.cellId} is a ${cell.kind} cell`,
      { cellId: cell.cellId },
    );
  }
  const flag = (name: string, what: string): string => {
    if (!tool.acceptedFlags.includes(name)) {
      throw new RejectedParameterError(
        `llama-bench in this build has no ${name} (${what}); use a build whose llama-bench --help lists it`,
        { cellId: cell.cellId, flag: name },
      );
    }
    return name;
  };
  const argv = [tool.path, flag("-m", "model"), targetPath];
  argv.push(flag("-p", "prompt tokens"), String(bench.nPrompt ?? 0));
  argv.push(flag("-n", "generated tokens"), String(cell.nPredict));
  argv.push(flag("-r", "repetitions"), String(bench.repetitions));
  argv.push(flag("-o", "output format"), "json");
  argv.push(flag("-t", "threads"), String(threads));
  argv.push(tool.capabilities.gpuLayers ?? flag("-ngl", "GPU layers"), String(cell.llama.gpuLayers));
  const fa = tool.capabilities.flashAttn;
  if (fa?.takesValue === true && cell.llama.flashAttn !== "auto") argv.push(fa.flag, cell.llama.flashAttn);
  if (cell.llama.batch !== undefined) argv.push(flag("-b", "batch size"), String(cell.llama.batch));
  return argv;
}
