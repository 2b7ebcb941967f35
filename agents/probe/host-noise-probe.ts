// Host noise around one cell (core/measurement-protocol): CPU time other processes took while it ran, from
// /proc (the host's non-idle jiffies minus those of the agent's process tree, which holds the in-process
// engine and every llama.cpp process the agent started), the load average, and GPU utilisation and SM clock
// from an nvidia-smi sampler where a GPU is present. Linux only: elsewhere no noise is recorded.
import { readdirSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import os from "node:os";
import { contentionOf, type HostNoise } from "../../core/measurement-protocol.js";
import type { VramSampler, VramSummary } from "./vram-sampler.js";

/** Jiffies per second in /proc (USER_HZ, 100 on every Linux architecture that matters here). */
const USER_HZ = 100;

export interface HostNoiseProbeOptions {
  /** Root of "this process tree": its own CPU time is the engine's, not noise. @default process.pid */
  rootPid?: number;
  /** Starts a GPU sampler for the cell's duration; undefined on hosts without a GPU. */
  startGpuSampler?: () => VramSampler;
  /** Where /proc is mounted (tests). @default "/proc" */
  procDir?: string;
}

/** A measurement in progress; stop() gives the figures (undefined where /proc cannot be read). */
export interface HostNoiseMeasurement {
  stop(): Promise<HostNoise | undefined>;
}

/** Non-idle jiffies of all CPUs from /proc/stat's first line (user nice system idle iowait irq softirq steal). */
export function parseProcStatBusy(text: string): number | undefined {
  const line = text.split("\n", 1)[0] ?? "";
  const f = line.trim().split(/\s+/);
  if (f[0] !== "cpu" || f.length < 5) return undefined;
  const n = f.slice(1).map(Number);
  if (n.some((x) => !Number.isFinite(x))) return undefined;
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = n;
  // guest time is already inside user; idle and iowait are not busy
  return user + nice + system + irq + softirq + steal;
}

/** pid, ppid and CPU jiffies (own and reaped children's) from one /proc/<pid>/stat. */
export function parsePidStat(text: string): { pid: number; ppid: number; jiffies: number } | undefined {
  // the command name sits in parentheses and may hold spaces or parentheses itself
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf("(")).trim());
  const rest = text.slice(close + 2).split(" ");
  // rest[0] is field 3 (state): ppid is field 4, utime/stime/cutime/cstime fields 14-17
  const ppid = Number(rest[1]);
  const times = [rest[11], rest[12], rest[13], rest[14]].map(Number);
  if (!Number.isFinite(pid) || !Number.isFinite(ppid) || times.some((t) => !Number.isFinite(t)))
    return undefined;
  return { pid, ppid, jiffies: times.reduce((a, b) => a + b, 0) };
}

/** Child pids of a process, from every thread's /proc/<pid>/task/<tid>/children (undefined: not available). */
function childrenOf(procDir: string, pid: number): number[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`${procDir}/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tasks) {
    try {
      const text = readFileSync(`${procDir}/${pid}/task/${tid}/children`, "utf8");
      for (const c of text.trim().split(/\s+/)) if (c !== "") out.push(Number(c));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" && tid === String(pid)) return undefined;
    }
  }
  return out;
}

/**
 * CPU jiffies of rootPid and every live descendant (a reaped child's time is in its parent's cutime). Walks
 * the tree through the children files (a few reads); kernels without them get a scan of every process.
 * The walk reads synchronously: /proc files are generated in memory and read in microseconds, while each
 * asynchronous read is four trips through libuv's thread pool, which on a busy host took a median 100 ms
 * per sample (a sample before and after every cell: most of a short cell's time).
 */
async function treeJiffies(procDir: string, rootPid: number): Promise<number> {
  let total = 0;
  const queue = [rootPid];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    try {
      total += parsePidStat(readFileSync(`${procDir}/${pid}/stat`, "utf8"))?.jiffies ?? 0;
    } catch {
      continue; // exited meanwhile
    }
    const children = childrenOf(procDir, pid);
    if (children === undefined) return scanTreeJiffies(procDir, rootPid);
    queue.push(...children);
  }
  return total;
}

async function scanTreeJiffies(procDir: string, rootPid: number): Promise<number> {
  const entries = await readdir(procDir);
  const stats: { pid: number; ppid: number; jiffies: number }[] = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        try {
          const st = parsePidStat(await readFile(`${procDir}/${e}/stat`, "utf8"));
          if (st) stats.push(st);
        } catch {
          // the process exited between readdir and read
        }
      }),
  );
  const children = new Map<number, number[]>();
  for (const st of stats) children.set(st.ppid, [...(children.get(st.ppid) ?? []), st.pid]);
  const byPid = new Map(stats.map((st) => [st.pid, st]));
  let total = 0;
  const queue = [rootPid];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    total += byPid.get(pid)?.jiffies ?? 0;
    queue.push(...(children.get(pid) ?? []));
  }
  return total;
}

interface CpuSample {
  atMs: number;
  busy: number;
  tree: number;
}

async function sampleCpu(procDir: string, rootPid: number): Promise<CpuSample | undefined> {
  try {
    const stat = readFileSync(`${procDir}/stat`, "utf8");
    const tree = await treeJiffies(procDir, rootPid);
    const busy = parseProcStatBusy(stat);
    return busy === undefined ? undefined : { atMs: performance.now(), busy, tree };
  } catch {
    return undefined;
  }
}

/**
 * Shortest window the figures cover, ms. /proc counts CPU time in 10 ms ticks, so a 50 ms cell alone gives
 * figures that are mostly rounding; a short cell's figures cover the last second before its end (the
 * monitor's samples), which is what the host was doing around it.
 */
export const MIN_NOISE_WINDOW_MS = 1_000;
/** The monitor's sampling period, ms. */
const MONITOR_INTERVAL_MS = 250;
/** Samples kept (a few seconds' worth). */
const MONITOR_SAMPLES = 16;

/**
 * Host-noise measurements for one agent: samples the CPU counters in the background (cheap: /proc/stat and
 * the agent's own few processes), so even a short cell's figures cover MIN_NOISE_WINDOW_MS.
 */
export class HostNoiseMonitor {
  private readonly samples: CpuSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly procDir: string;
  private readonly rootPid: number;

  constructor(private readonly opts: HostNoiseProbeOptions = {}) {
    this.procDir = opts.procDir ?? "/proc";
    this.rootPid = opts.rootPid ?? process.pid;
  }

  /** Starts the background sampling (idempotent); stop() ends it. */
  start(): this {
    if (this.timer !== undefined) return this;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), MONITOR_INTERVAL_MS);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sample(): Promise<CpuSample | undefined> {
    const s = await sampleCpu(this.procDir, this.rootPid);
    if (s !== undefined) {
      this.samples.push(s);
      this.samples.sort((a, b) => a.atMs - b.atMs);
      if (this.samples.length > MONITOR_SAMPLES) this.samples.shift();
    }
    return s;
  }

  /** Starts measuring one cell; `engineThreads` is what the cell's engine decodes with. */
  async measure(engineThreads: number): Promise<HostNoiseMeasurement> {
    const gpu = this.opts.startGpuSampler?.();
    const before = await this.sample();
    return {
      stop: async () => {
        const after = await this.sample();
        const gpuSummary = await gpu?.stop();
        if (before === undefined || after === undefined) return undefined;
        // the window opens at the cell's start, or earlier for a short cell
        const opensBy = Math.min(before.atMs, after.atMs - MIN_NOISE_WINDOW_MS);
        const from = [...this.samples].reverse().find((x) => x.atMs <= opensBy) ?? this.samples[0] ?? before;
        return noiseBetween(from, after, engineThreads, gpuSummary);
      },
    };
  }
}

/** One cell's measurement without a monitor: the figures cover the cell's own duration only. */
export async function startHostNoise(
  engineThreads: number,
  opts: HostNoiseProbeOptions = {},
): Promise<HostNoiseMeasurement> {
  const procDir = opts.procDir ?? "/proc";
  const rootPid = opts.rootPid ?? process.pid;
  const gpu = opts.startGpuSampler?.();
  const before = await sampleCpu(procDir, rootPid);
  return {
    async stop() {
      const after = await sampleCpu(procDir, rootPid);
      const gpuSummary = await gpu?.stop();
      if (before === undefined || after === undefined) return undefined;
      return noiseBetween(before, after, engineThreads, gpuSummary);
    },
  };
}

function noiseBetween(
  before: CpuSample,
  after: CpuSample,
  engineThreads: number,
  gpuSummary: VramSummary | undefined,
): HostNoise {
  const windowMs = Math.max(1, after.atMs - before.atMs);
  const seconds = windowMs / 1000;
  const cores = os.availableParallelism();
  const ownCores = Math.max(0, (after.tree - before.tree) / USER_HZ / seconds);
  const busyCores = Math.max(0, (after.busy - before.busy) / USER_HZ / seconds);
  // ticks are 10 ms apart: over a short window own time can exceed the host's by a tick or two
  const otherCpuCores = round2(Math.min(cores, Math.max(0, busyCores - ownCores)));
  const verdict = contentionOf({ cores, otherCpuCores, engineThreads });
  return {
    loadAvg1: round2(os.loadavg()[0] ?? 0),
    cores,
    otherCpuCores,
    ownCpuCores: round2(ownCores),
    engineThreads,
    idleCores: round2(Math.max(0, cores - otherCpuCores)),
    windowMs: Math.round(windowMs),
    ...(gpuSummary?.meanUtilizationPct === undefined
      ? {}
      : { gpuUtilPct: round2(gpuSummary.meanUtilizationPct) }),
    ...(gpuSummary?.minSmClockMhz === undefined ? {} : { smClockMhz: gpuSummary.minSmClockMhz }),
    contended: verdict.contended,
    ...(verdict.reason === undefined ? {} : { contendedReason: verdict.reason }),
  };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
