// What the llama.cpp engines need from the host before they can run: the probed build (flag spellings) and,
// where a GPU exists, a VRAM sampler to start around each cell. One call for `cell run` and the agent.
import { ConfigError } from "../../core/errors.js";
import { probeGpus, type ProbeGpusOptions } from "./probe-gpus.js";
import { probeLlamaBuild, type LlamaBuildProbe } from "./probe-llama-build.js";
import { startVramSampler, type VramSampler } from "./vram-sampler.js";

export interface LlamaEngineHost {
  build: LlamaBuildProbe;
  /** Present only when nvidia-smi lists at least one GPU. */
  startVramSampler?: () => VramSampler;
}

/** Probe `binDir`; throws ConfigError when it is unset or holds no llama.cpp tool. */
export async function probeLlamaEngines(
  binDir: string | undefined,
  gpu: ProbeGpusOptions = {},
): Promise<LlamaEngineHost> {
  if (binDir === undefined) {
    throw new ConfigError(
      "the llama.cpp engines need a build directory: pass --llama-bin DIR or set SPECGRID_LLAMA_BIN",
    );
  }
  const build = await probeLlamaBuild(binDir);
  if (Object.keys(build.tools).length === 0) {
    throw new ConfigError(`${binDir}: ${build.notes.join("; ")}`, { binDir });
  }
  const gpus = await probeGpus(gpu);
  const smi = gpu.nvidiaSmi;
  return {
    build,
    ...(gpus.gpus.length > 0
      ? { startVramSampler: () => startVramSampler(smi === undefined ? {} : { nvidiaSmi: smi }) }
      : {}),
  };
}
