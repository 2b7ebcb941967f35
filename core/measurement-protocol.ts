// The measurement protocol's records (docs/metrics.md, "Measurement protocol"): the discarded warm-up
// generation of each load, and the host noise seen during each cell with the verdict whether the cell ran
// under contention. Agents measure them; results carry them; the report keeps contended cells out of every
// recommendation.

/** Tokens of the discarded warm-up generation (fewer when the cell asks for fewer). */
export const WARMUP_TOKENS = 16;

/** The warm-up generation run and discarded after a model load or server start, before any cell. */
export interface WarmupRecord {
  /** Tokens it generated. */
  nDecoded: number;
  /** Its wall time, ms. */
  wallMs: number;
  /** Its decode t/s where the engine measured it (the first generation after a load is typically slower). */
  decodeTps?: number;
}

/** Host noise during one cell, measured by the agent around the engine's run (agents/daemon/host-noise). */
export interface HostNoise {
  /** 1-minute load average at the cell's end (/proc/loadavg). */
  loadAvg1: number;
  /** Logical cores of the host. */
  cores: number;
  /**
   * Cores other processes kept busy during the cell, on average: the host's non-idle CPU time (/proc/stat)
   * minus the agent's process tree's (the agent and the llama.cpp processes it started), over the wall time.
   */
  otherCpuCores: number;
  /** Cores the agent's own process tree (the engine) kept busy, on average. */
  ownCpuCores: number;
  /** Threads the engine decodes with: llama.threads, else the host's cores (llama.cpp's own default). */
  engineThreads: number;
  /** Cores other processes left idle: cores - otherCpuCores. */
  idleCores: number;
  /** What the CPU figures cover, ms: the cell, or the last second before its end for a shorter cell. */
  windowMs: number;
  /** Mean GPU utilisation, %, over the cell (nvidia-smi), where a GPU is present. */
  gpuUtilPct?: number;
  /** Lowest SM clock seen during the cell, MHz (throttling shows as a drop). */
  smClockMhz?: number;
  /** Other processes took CPU the cell needed (see contentionOf): kept and shown, never recommended from. */
  contended: boolean;
  /** Why the cell counts as contended, naming the figures. */
  contendedReason?: string;
}

/**
 * Share of the cores the engine does not need that other processes may keep busy before a cell counts as
 * contended; at least CONTENDED_MIN_CORES. On a 2-core host decoding with 1 thread: half a core.
 */
export const CONTENDED_SHARE_OF_SPARE = 0.5;
export const CONTENDED_MIN_CORES = 0.5;

/** The contention verdict for measured figures: whether other processes left the engine too few cores. */
export function contentionOf(f: { cores: number; otherCpuCores: number; engineThreads: number }): {
  contended: boolean;
  reason?: string;
} {
  const spare = Math.max(0, f.cores - f.engineThreads);
  const limit = Math.max(CONTENDED_MIN_CORES, CONTENDED_SHARE_OF_SPARE * spare);
  if (f.otherCpuCores <= limit) return { contended: false };
  return {
    contended: true,
    reason:
      `other processes kept ${f.otherCpuCores.toFixed(2)} of ${f.cores} cores busy during the cell ` +
      `(limit ${limit.toFixed(2)}: half the ${spare} cores the engine's ${f.engineThreads} threads leave)`,
  };
}
