// How many cores are free right now, measured rather than assumed, the way the agent measures each cell's
// host noise (agents/probe/host-noise-probe.ts): the cores other processes leave idle over a short window,
// from /proc (this process tree's own CPU time does not count). Niced work counts as busy: a niced compiler
// still takes the core a llama.cpp thread would spin on. Oversubscribing a shared host ruins every figure
// (issue 12: 790 ms per token with threads = cores on a busy 2-core box, 23.5 ms with one thread).
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { startHostNoise, type HostNoiseProbeOptions } from "./host-noise-probe.js";

export interface IdleCores {
  /** Logical cores of the host. */
  cores: number;
  /** Cores other processes left idle over the window, on average (0..cores); cores when /proc is unreadable. */
  idleCores: number;
  /** One-minute load average at the end of the window. */
  loadAvg1: number;
  sampleMs: number;
  /** False where /proc could not be read (not Linux): idleCores is then the core count, unmeasured. */
  measured: boolean;
}

/** Slack for timer jitter and 10 ms jiffies: 0.9 idle cores counts as one free core. */
const SLACK_CORES = 0.1;

/** Measures the idle cores over `sampleMs` (default 1 s). */
export async function probeIdleCores(
  sampleMs = 1000,
  opts: Pick<HostNoiseProbeOptions, "procDir"> = {},
): Promise<IdleCores> {
  const measurement = await startHostNoise(0, opts);
  await sleep(sampleMs);
  const noise = await measurement.stop();
  const cores = noise?.cores ?? os.availableParallelism();
  return {
    cores,
    idleCores: noise?.idleCores ?? cores,
    loadAvg1: noise?.loadAvg1 ?? os.loadavg()[0] ?? 0,
    sampleMs,
    measured: noise !== undefined,
  };
}

/** Whole cores free: the idle cores with the slack above. */
export function freeCores(idle: IdleCores): number {
  return Math.floor(idle.idleCores + SLACK_CORES);
}

/**
 * Threads per engine when `engines` engines run at once: the free cores shared out, never more threads in
 * all than free cores, and at least one (an engine cannot run on none; the caller says the host is busy).
 * `reserveCores` are kept back for work of this run that competes with the engines (the embedded
 * coordinator, NATS server and agent of `demo` and `run`), but never the last free core.
 */
export function threadsFromIdleCores(idle: IdleCores, engines = 1, reserveCores = 0): number {
  // unmeasured: one thread, the engine's own default on small hosts, rather than a guess at free cores
  if (!idle.measured) return 1;
  const usable = Math.max(1, freeCores(idle) - Math.max(0, reserveCores));
  return Math.max(1, Math.floor(usable / Math.max(1, engines)));
}
