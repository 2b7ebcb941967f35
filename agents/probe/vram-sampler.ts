// Samples GPU memory, utilisation and SM clock while a cell runs, through one long-lived
// `nvidia-smi -lms` process (cheaper and steadier than spawning per sample). Peak VRAM is reported per
// cell; the lowest SM clock seen, next to the highest, shows throttling.
import { startProcess, type ManagedProcess } from "../process/start-process.js";

export interface VramSample {
  atMs: number;
  index: number;
  memoryUsedMib: number;
  utilizationPct?: number;
  smClockMhz?: number;
}

export interface VramSummary {
  samples: number;
  /** Highest sum over GPUs of used memory in one sampling round, MiB. */
  peakVramMib?: number;
  /** Per GPU index: highest used memory, MiB. */
  peakByGpuMib: Record<number, number>;
  maxUtilizationPct?: number;
  /** Mean utilisation over every sample of every GPU, %. */
  meanUtilizationPct?: number;
  minSmClockMhz?: number;
  maxSmClockMhz?: number;
}

export interface VramSampler {
  /** Stop sampling and summarise what was seen. */
  stop(): Promise<VramSummary>;
}

export interface VramSamplerOptions {
  /** @default "nvidia-smi" */
  nvidiaSmi?: string;
  /** @default 200 */
  intervalMs?: number;
  /** Only these GPU indices; all when undefined. */
  gpuIndices?: number[];
}

function numOrUndefined(v: string | undefined): number | undefined {
  if (v === undefined || v.startsWith("[")) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Reads one `index, memory.used, utilization.gpu, clocks.sm` line. */
export function parseVramSampleLine(line: string, atMs: number): VramSample | undefined {
  const [i, mem, util, clock] = line.split(",").map((s) => s.trim());
  const index = numOrUndefined(i);
  const memoryUsedMib = numOrUndefined(mem);
  if (index === undefined || memoryUsedMib === undefined) return undefined;
  const s: VramSample = { atMs, index, memoryUsedMib };
  const u = numOrUndefined(util);
  const c = numOrUndefined(clock);
  if (u !== undefined) s.utilizationPct = u;
  if (c !== undefined) s.smClockMhz = c;
  return s;
}

export function summarizeVramSamples(samples: VramSample[]): VramSummary {
  const peakByGpuMib: Record<number, number> = {};
  const rounds = new Map<number, number>();
  const summary: VramSummary = { samples: samples.length, peakByGpuMib };
  let utilSum = 0;
  let utilN = 0;
  for (const s of samples) {
    if (s.utilizationPct !== undefined) {
      utilSum += s.utilizationPct;
      utilN++;
    }
    peakByGpuMib[s.index] = Math.max(peakByGpuMib[s.index] ?? 0, s.memoryUsedMib);
    rounds.set(s.atMs, (rounds.get(s.atMs) ?? 0) + s.memoryUsedMib);
    if (s.utilizationPct !== undefined)
      summary.maxUtilizationPct = Math.max(summary.maxUtilizationPct ?? 0, s.utilizationPct);
    if (s.smClockMhz !== undefined) {
      summary.minSmClockMhz = Math.min(summary.minSmClockMhz ?? Infinity, s.smClockMhz);
      summary.maxSmClockMhz = Math.max(summary.maxSmClockMhz ?? 0, s.smClockMhz);
    }
  }
  if (rounds.size > 0) summary.peakVramMib = Math.max(...rounds.values());
  if (utilN > 0) summary.meanUtilizationPct = utilSum / utilN;
  return summary;
}

export function startVramSampler(opts: VramSamplerOptions = {}): VramSampler {
  const samples: VramSample[] = [];
  const started = performance.now();
  let pending = "";
  // nvidia-smi prints one line per GPU per round, written together: lines that arrive in one chunk are
  // taken as one round (their memory is summed for the peak).
  let roundAt = 0;
  const onStdout = (chunk: Buffer): void => {
    pending += chunk.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    roundAt = Math.round(performance.now() - started);
    for (const line of lines) {
      const s = parseVramSampleLine(line, roundAt);
      if (s && (opts.gpuIndices === undefined || opts.gpuIndices.includes(s.index))) samples.push(s);
    }
  };
  const argv = [
    opts.nvidiaSmi ?? "nvidia-smi",
    "--query-gpu=index,memory.used,utilization.gpu,clocks.sm",
    "--format=csv,noheader,nounits",
    `-lms`,
    String(opts.intervalMs ?? 200),
  ];
  const proc: ManagedProcess = startProcess(argv, { onStdout, killGraceMs: 500 });
  return {
    async stop() {
      await proc.stopGroup();
      return summarizeVramSamples(samples);
    },
  };
}
