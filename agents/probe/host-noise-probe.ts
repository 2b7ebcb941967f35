// Host noise around one cell (core/measurement-protocol): CPU time other processes took while it ran, from
// /proc (the host's non-idle jiffies minus those of the agent's process tree, which holds the in-process
// engine and every llama.cpp process the agent started), the load average, and GPU utilisation and SM clock
// from an nvidia-smi sampler where a GPU is present. Linux only: elsewhere no noise is recorded.
import { readdir, readFile } from "node:fs/promises";
import os from "node:os";
import { contentionOf, type HostNoise } from "../../core/measurement-protocol.js";
import type { VramSampler } from "./vram-sampler.js";

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

/** CPU jiffies of rootPid and every live descendant (a reaped child's time is in its parent's cutime). */
async function treeJiffies(procDir: string, rootPid: number): Promise<number> {
  const entries = await readdir(procDir);
  const stats: { pid: number; ppid: number; jiffies: number }[] = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        try {
          const s = parsePidStat(await readFile(`${procDir}/${e}/stat`, "utf8"));
          if (s) stats.push(s);
        } catch {
          // the process exited between readdir and read
        }
      }),
  );
  const children = new Map<number, number[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
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
    const [stat, tree] = await Promise.all([
      readFile(`${procDir}/stat`, "utf8"),
      treeJiffies(procDir, rootPid),
    ]);
    const busy = parseProcStatBusy(stat);
    return busy === undefined ? undefined : { atMs: performance.now(), busy, tree };
  } catch {
    return undefined;
  }
}

/** Starts measuring; `engineThreads` is what the cell's engine decodes with. */
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
      const seconds = Math.max(1e-3, (after.atMs - before.atMs) / 1000);
      const cores = os.availableParallelism();
      const ownCores = Math.max(0, (after.tree - before.tree) / USER_HZ / seconds);
      const busyCores = Math.max(0, (after.busy - before.busy) / USER_HZ / seconds);
      // jiffies tick at 100 Hz: a short cell can show a little more own time than host time
      const otherCpuCores = round2(Math.min(cores, Math.max(0, busyCores - ownCores)));
      const verdict = contentionOf({ cores, otherCpuCores, engineThreads });
      const loadAvg1 = round2(os.loadavg()[0] ?? 0);
      return {
        loadAvg1,
        cores,
        otherCpuCores,
        ownCpuCores: round2(ownCores),
        engineThreads,
        idleCores: round2(Math.max(0, cores - otherCpuCores)),
        ...(gpuSummary?.meanUtilizationPct === undefined
          ? {}
          : { gpuUtilPct: round2(gpuSummary.meanUtilizationPct) }),
        ...(gpuSummary?.minSmClockMhz === undefined ? {} : { smClockMhz: gpuSummary.minSmClockMhz }),
        contended: verdict.contended,
        ...(verdict.reason === undefined ? {} : { contendedReason: verdict.reason }),
      };
    },
  };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
