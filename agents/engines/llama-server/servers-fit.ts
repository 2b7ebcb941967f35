// Whether a baseline server fits beside a speculative one on this host, from the memory estimate
// (core/memory) and the host's free memory. Two servers of one target hold its weights twice in VRAM; on
// the CPU they share them through the page cache (llama.cpp maps the file), so there the baseline server
// adds only its KV cache and compute buffer. A tenth of the free memory is left as headroom.
import os from "node:os";
import { readGgufFacts } from "../../../core/gguf/read-gguf-facts.js";
import { estimatePairMemory, type MemoryFacts } from "../../../core/memory/estimate-memory.js";
import { probeGpus } from "../../probe/probe-gpus.js";

const MIB = 1024 * 1024;
/** Share of the free memory the two servers may take. */
const USABLE_SHARE = 0.9;

export interface ServersFitInput {
  target: MemoryFacts;
  draft: MemoryFacts;
  /** Context tokens per slot (llama.ctx). */
  ctx: number;
  /** Weights go to the GPU (gpu_layers > 0 on a host with GPUs). */
  onGpu: boolean;
  /** Free VRAM (onGpu) or RAM, MiB. */
  freeMib: number;
}

export interface ServersFit {
  fits: boolean;
  /** Estimated memory of the speculative server and the baseline server beside it, MiB. */
  needMib: number;
  freeMib: number;
}

export function baselineFitsBesideSpeculative(i: ServersFitInput): ServersFit {
  const pair = estimatePairMemory(i.target, i.draft, { ctx: i.ctx, parallel: 1 });
  const baselineExtra = i.onGpu
    ? pair.targetAloneMib
    : pair.target.kvCacheMib + pair.target.computeAllowanceMib;
  const needMib = pair.withDraftMib + baselineExtra;
  return { fits: needMib <= i.freeMib * USABLE_SHARE, needMib, freeMib: i.freeMib };
}

/** Free memory where the weights go: VRAM summed over GPUs when offloading to them, RAM otherwise. */
export async function hostFreeMemoryMib(gpuLayers: number): Promise<{ onGpu: boolean; freeMib: number }> {
  if (gpuLayers > 0) {
    const { gpus } = await probeGpus({ timeoutMs: 10_000 });
    const free = gpus.reduce(
      (sum, g) =>
        g.memoryTotalMib !== undefined && g.memoryUsedMib !== undefined
          ? sum + g.memoryTotalMib - g.memoryUsedMib
          : sum,
      0,
    );
    if (gpus.length > 0) return { onGpu: true, freeMib: free };
  }
  // os.freemem() is MemAvailable on Linux (page cache counted as reclaimable)
  return { onGpu: false, freeMib: os.freemem() / MIB };
}

/** GGUF facts of both models, or undefined (with why) when a header cannot be read. */
export async function pairFacts(
  targetPath: string,
  draftPath: string,
): Promise<{ target: MemoryFacts; draft: MemoryFacts } | { error: string }> {
  try {
    const [target, draft] = await Promise.all([readGgufFacts(targetPath), readGgufFacts(draftPath)]);
    return { target, draft };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
