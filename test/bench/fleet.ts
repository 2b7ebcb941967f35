// fleet: many agents on one box. A real nats-server, the coordinator in a process of its own, and N agent
// daemons, each its own OS process, with paced engines (cell times log-normal around a mean, a quarter of
// the agents `slowdown` times slower, some holding only some drafts). A spread sweep and, beside it, a small
// every-host sweep are submitted together and run to close-out.
//
// Measured: coordinator peak RSS and CPU seconds (its own process), per-agent idle time while one of its
// eligible pools held undelivered work (agent sessions against pool backlogs sampled every 500 ms), submit →
// first result and → close-out per sweep, cells/s, heartbeat round trips (at each agent's client), and the
// makespan against the ideal Σ work ÷ Σ agent capacity (work summed over the distinct placements stored).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { link, copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import { build } from "esbuild";
import { connect } from "@nats-io/transport-node";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import { JOBS_STREAM, RESULTS_SUBJECT_PREFIX } from "../../core/nats-names.js";
import { decodeCellResult } from "../../core/wire/nats-payloads.js";
import { createCoordinatorClient } from "../../core/wire/coordinator-client.js";
import { getModelFamily } from "../support/model-family.js";
import { launchBenchNats } from "./bench-nats.js";
import { benchResult, quantile, type BenchResult } from "./bench-result.js";
import { writeGridManifest, type GridShape } from "./bench-manifests.js";
import type { FleetAgentArgs, FleetAgentReport } from "./fleet-agent-child.js";
import type { FleetCoordinatorArgs, FleetCoordinatorReport } from "./fleet-coordinator-child.js";
import { idealMakespanMs, idleWhileWaiting, type BacklogSample } from "./fleet-figures.js";
import { baseCellMs, epochMs } from "./paced-engine.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DRAFT_NOISES = [0, 0.01, 0.02, 0.05] as const;
const BACKLOG_SAMPLE_MS = 500;

export interface FleetConfig {
  agents: number;
  /** The spread sweep (4 pairs at most: one per draft). */
  spread: GridShape;
  /** The every-host sweep beside it (pair 0: runs on every agent holding draft 0). */
  everyHost: GridShape;
  meanCellMs: number;
  /** How many times slower the slow quarter of the agents runs (agentSlow). */
  slowdown: number;
  targetShardMs: number;
  heartbeatMs: number;
  /** Whole run, start to close-out. */
  timeoutMs: number;
}

/** The benchmark the issue asks for: 64 agents, 100,000 spread cells, an every-host sweep beside it. */
export const FLEET_64: FleetConfig = {
  agents: 64,
  // 10 prompts × 5 temperatures × 50 repeats × 4 pairs × 5 Ks × (baseline + speculative) = 100,000 cells
  spread: { pairs: 4, ks: 5, temperatures: 5, prompts: 10, repeats: 50 },
  everyHost: { pairs: 1, ks: 2, temperatures: 1, prompts: 2, repeats: 5 },
  meanCellMs: 100,
  slowdown: 3,
  targetShardMs: 3_000,
  // the product default: a shorter beat only adds load, and a starved agent would be called dead sooner
  heartbeatMs: 5_000,
  timeoutMs: 1_800_000,
};

/**
 * The manifests' `estimate` for a paced engine whose cells take `meanCellMs` on average, so the planner cuts
 * shards of the target duration from them: the grid's 8 tokens per cell in `meanCellMs`.
 */
export function pacedEstimate(meanCellMs: number) {
  return { decode_tps: 8_000 / Math.max(meanCellMs, 1), speculative_factor: 1, load_ms: 0 };
}

/**
 * Which drafts agent i holds: one in four holds all four, the others two neighbouring ones, rotating with the
 * group of four, so slow agents are spread over the draft sets alike and every pool has about the same
 * capacity.
 */
export function agentDrafts(i: number): number[] {
  if (i % 4 === 1) return [0, 1, 2, 3];
  const r = i + Math.floor(i / 4);
  return [r % 4, (r + 1) % 4];
}

/** Every fourth agent (0, 4, 8, …) is a slow host. */
export function agentSlow(i: number): boolean {
  return i % 4 === 0;
}

export interface FleetFigures {
  agents: number;
  slowAgents: number;
  spreadCells: number;
  everyHostPlacements: number;
  shards: { spread: number; everyHost: number };
  coordinatorPeakRssMib: number;
  coordinatorCpuS: number;
  natsServerPeakRssMib: number | undefined;
  natsServerCpuS: number | undefined;
  agentPeakRssMibMedian: number;
  agentCpuSMedian: number;
  /** Agent's own time between two cells of a session (publish, ack, done-mark, noise, log), ms. */
  agentPerCellMs: { p50: number; p99: number };
  submitRpcMs: { spread: number; everyHost: number };
  submitToFirstResultMs: { spread: number; everyHost: number };
  submitToCloseOutMs: { spread: number; everyHost: number };
  cellsPerS: number;
  heartbeatMs: { p50: number; p95: number; p99: number; max: number; samples: number };
  idleWhileWaiting: {
    maxPctOfMakespan: number;
    meanPctOfMakespan: number;
    maxMs: number;
    worstAgent: string;
  };
  makespanMs: number;
  idealMakespanMs: number;
  makespanOverIdeal: number;
  resultsReceived: number;
  duplicateResults: number;
}

export interface Child {
  proc: ChildProcess;
  firstLine: Promise<string>;
  stderrTail: () => string;
}

/**
 * The child scripts bundled to plain JavaScript (esbuild, which tsx runs on): without the tsx loader an agent
 * process is tens of MiB lighter and the coordinator's RSS is the coordinator's alone. The bundles sit under
 * node_modules/.cache so that their package imports resolve to the project's node_modules.
 */
export async function bundleChildren(): Promise<{ dir: string; agent: string; coordinator: string }> {
  const cache = path.resolve(HERE, "../../node_modules/.cache");
  await mkdir(cache, { recursive: true });
  const dir = await mkdtemp(path.join(cache, "specgrid-fleet-"));
  await build({
    entryPoints: [path.join(HERE, "fleet-agent-child.ts"), path.join(HERE, "fleet-coordinator-child.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    logLevel: "silent",
  });
  return {
    dir,
    agent: path.join(dir, "fleet-agent-child.mjs"),
    coordinator: path.join(dir, "fleet-coordinator-child.mjs"),
  };
}

export function spawnChild(script: string, args: unknown, nodeArgs: string[] = []): Child {
  const proc = spawn(process.execPath, [...nodeArgs, script, JSON.stringify(args)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  proc.stderr.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-4_000);
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    proc.once("exit", (code) =>
      reject(new Error(`${path.basename(script)} exited (${code}) before starting: ${err}`)),
    );
  });
  return { proc, firstLine, stderrTail: () => err };
}

export async function stopChild(c: Child, timeoutMs = 15_000): Promise<void> {
  if (c.proc.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => c.proc.once("exit", () => resolve()));
  c.proc.kill("SIGTERM");
  const t = setTimeout(() => c.proc.kill("SIGKILL"), timeoutMs);
  await exited;
  clearTimeout(t);
}

async function hardlinkOrCopy(from: string, to: string): Promise<void> {
  await link(from, to).catch(() => copyFile(from, to));
}

/** VmHWM (peak RSS) and utime+stime of a live process, from /proc; undefined where unreadable. */
export async function procFigures(pid: number): Promise<{ peakRssMib?: number; cpuS?: number }> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const jiffies = Number(f[11]) + Number(f[12]);
    return {
      ...(hwm ? { peakRssMib: Number(hwm[1]) / 1024 } : {}),
      ...(Number.isFinite(jiffies) ? { cpuS: jiffies / 100 } : {}),
    };
  } catch {
    return {};
  }
}

export async function runFleet(dir: string, c: FleetConfig): Promise<FleetFigures> {
  const runDir = await mkdtemp(path.join(dir, "fleet-"));
  const family = await getModelFamily();
  const drafts = DRAFT_NOISES.map((n) => {
    const f = family.drafts.get(n);
    if (f === undefined) throw new Error(`model family has no draft of noise ${n}`);
    return f;
  });
  // one model dir per draft set, hard links into the family (symlinks out of a model dir are not scanned)
  const setDirs = new Map<string, string>();
  for (let i = 0; i < c.agents; i++) {
    const set = agentDrafts(i);
    const key = set.join("-");
    if (setDirs.has(key)) continue;
    const d = path.join(runDir, `models-${key}`);
    await mkdir(d, { recursive: true });
    await hardlinkOrCopy(family.target, path.join(d, path.basename(family.target)));
    for (const k of set) await hardlinkOrCopy(drafts[k]!, path.join(d, path.basename(drafts[k]!)));
    setDirs.set(key, d);
  }
  const estimate = pacedEstimate(c.meanCellMs);
  const spreadFile = await writeGridManifest(runDir, "fleet-spread", c.spread, { estimate });
  const everyFile = await writeGridManifest(runDir, "fleet-every-host", c.everyHost, {
    estimate,
    placement: "every-host",
  });

  const token = randomBytes(16).toString("hex");
  const nats = await launchBenchNats();
  const coordReport = path.join(runDir, "coordinator.json");
  const coordArgs: FleetCoordinatorArgs = {
    natsUrl: nats.url,
    token,
    heartbeatMs: c.heartbeatMs,
    targetShardMs: c.targetShardMs,
    reportFile: coordReport,
  };
  const bundles = await bundleChildren();
  const coordinator = spawnChild(bundles.coordinator, coordArgs);
  const agents: Child[] = [];
  const nc = await connect({ servers: nats.url, name: "fleet-bench" });
  const deadline = Date.now() + c.timeoutMs;
  let sampling = true;
  let sampler: Promise<void> | undefined;
  try {
    const { address } = JSON.parse(await coordinator.firstLine) as { address: string };
    const client = createCoordinatorClient({ address, token, callTimeoutMs: 120_000 });
    // start agents a few at a time: 64 Node processes loading at once would starve the two cores
    const names: string[] = [];
    const slowdowns: number[] = [];
    for (let i = 0; i < c.agents; i += 8) {
      const batch: Child[] = [];
      for (let j = i; j < Math.min(c.agents, i + 8); j++) {
        const name = `fleet-${String(j).padStart(2, "0")}`;
        const slowdown = agentSlow(j) ? c.slowdown : 1;
        const set = agentDrafts(j);
        const args: FleetAgentArgs = {
          coordinator: address,
          token,
          name,
          modelDir: setDirs.get(set.join("-"))!,
          meanCellMs: c.meanCellMs,
          slowdown,
          reportFile: path.join(runDir, `${name}.json`),
        };
        names.push(name);
        slowdowns.push(slowdown);
        batch.push(spawnChild(bundles.agent, args));
      }
      agents.push(...batch);
      await Promise.all(batch.map((b) => b.firstLine));
    }

    // every agent alive at the coordinator before the clock starts (a starved box delays heartbeats)
    let alive = 0;
    while (alive < c.agents) {
      alive = (await client.listAgents()).filter((a) => a.alive).length;
      if (alive >= c.agents) break;
      if (Date.now() > deadline) {
        const tails = agents.slice(0, 3).map((a) => a.stderrTail().slice(-500));
        throw new Error(
          `only ${alive}/${c.agents} agents alive at the coordinator; agent stderr: ${tails.join(" | ")}`,
        );
      }
      await sleep(1_000);
    }

    // every result as it is published: first result per sweep, distinct placements, Σ base work
    const results = { received: 0 };
    const firstAt = new Map<string, number>();
    // valid results by sweep, cell and host; a spread cell counts once whichever hosts ran it
    const valid = new Map<string, { sweepId: string; cellId: string }>();
    const sub = nc.subscribe(`${RESULTS_SUBJECT_PREFIX}.>`);
    const watching = (async () => {
      for await (const m of sub) {
        const at = epochMs();
        results.received++;
        const r = decodeCellResult(m.data);
        if (!firstAt.has(r.sweepId)) firstAt.set(r.sweepId, at);
        if (r.outcome.status === "ok")
          valid.set(`${r.sweepId}|${r.cellId}|${r.hostId}`, { sweepId: r.sweepId, cellId: r.cellId });
      }
    })();

    const jsm = await jetstreamManager(nc);
    const backlog: BacklogSample[] = [];
    sampler = (async () => {
      while (sampling) {
        const atMs = epochMs();
        try {
          const waiting = new Set<string>();
          for await (const ci of jsm.consumers.list(JOBS_STREAM)) {
            if (ci.num_pending > 0) waiting.add(ci.name);
          }
          backlog.push({ atMs, waiting });
        } catch {
          // a sample lost to a slow server is a gap, not a figure
        }
        await sleep(BACKLOG_SAMPLE_MS);
      }
    })();

    const spreadReq = await manifestForSubmit(spreadFile);
    const everyReq = await manifestForSubmit(everyFile);
    const t0 = epochMs();
    const [spreadSub, everySub] = await Promise.all([
      client.submitSweep(spreadReq).then((s) => ({ ...s, rpcMs: epochMs() - t0 })),
      client.submitSweep(everyReq).then((s) => ({ ...s, rpcMs: epochMs() - t0 })),
    ]);

    const finished = new Map<string, number>();
    while (finished.size < 2) {
      if (Date.now() > deadline) {
        throw new Error(`sweeps not closed out within ${c.timeoutMs} ms (${valid.size} valid results seen)`);
      }
      await sleep(1_000);
      for (const s of await client.listSweeps()) {
        if (s.state === "running" || finished.has(s.sweepId) || s.finishedAt === undefined) continue;
        if (s.state !== "done")
          throw new Error(`sweep ${s.name} ended ${s.state} (${s.done}/${s.placementsTotal})`);
        finished.set(s.sweepId, Date.parse(s.finishedAt));
      }
    }
    sampling = false;
    await sampler;
    const endAt = Math.max(...finished.values());
    client.close();

    const natsFig = await procFigures(nats.pid);
    await Promise.all(agents.map((a) => stopChild(a)));
    await stopChild(coordinator);
    sub.unsubscribe();
    await watching;

    const reports: FleetAgentReport[] = [];
    for (const n of names)
      reports.push(JSON.parse(await readFile(path.join(runDir, `${n}.json`), "utf8")) as FleetAgentReport);
    const coord = JSON.parse(await readFile(coordReport, "utf8")) as FleetCoordinatorReport;

    const makespanMs = endAt - t0;
    const spreadCells = new Set<string>();
    const everyPlacements = new Set<string>();
    for (const [key, v] of valid) {
      if (v.sweepId === spreadSub.sweepId) spreadCells.add(v.cellId);
      else if (v.sweepId === everySub.sweepId) everyPlacements.add(key);
    }
    const totalBase =
      [...spreadCells].reduce((s, id) => s + baseCellMs(id, c.meanCellMs), 0) +
      [...everyPlacements].reduce((s, k) => s + baseCellMs(k.split("|")[1]!, c.meanCellMs), 0);
    const distinct = spreadCells.size + everyPlacements.size;
    const ideal = idealMakespanMs(totalBase, slowdowns);
    const idle = reports.map((r) => ({
      name: r.name,
      ...idleWhileWaiting(backlog, new Set(r.pools), r.timings.sessions, t0, endAt),
    }));
    const worst = idle.reduce((a, b) => (b.idleMs > a.idleMs ? b : a));
    const heartbeats = reports.flatMap((r) => r.heartbeatMs);
    const median = (xs: number[]): number => quantile(xs, 0.5);
    return {
      agents: c.agents,
      slowAgents: slowdowns.filter((s) => s > 1).length,
      spreadCells: spreadSub.cells,
      everyHostPlacements: everySub.placements,
      shards: { spread: spreadSub.shards, everyHost: everySub.shards },
      coordinatorPeakRssMib: coord.maxRssMib,
      coordinatorCpuS: coord.cpuS,
      natsServerPeakRssMib: natsFig.peakRssMib,
      natsServerCpuS: natsFig.cpuS,
      agentPeakRssMibMedian: median(reports.map((r) => r.maxRssMib)),
      agentCpuSMedian: median(reports.map((r) => r.cpuS)),
      agentPerCellMs: {
        p50: quantile(
          reports.flatMap((r) => r.timings.betweenCellsMs),
          0.5,
        ),
        p99: quantile(
          reports.flatMap((r) => r.timings.betweenCellsMs),
          0.99,
        ),
      },
      submitRpcMs: { spread: spreadSub.rpcMs, everyHost: everySub.rpcMs },
      submitToFirstResultMs: {
        spread: (firstAt.get(spreadSub.sweepId) ?? NaN) - t0,
        everyHost: (firstAt.get(everySub.sweepId) ?? NaN) - t0,
      },
      submitToCloseOutMs: {
        spread: finished.get(spreadSub.sweepId)! - t0,
        everyHost: finished.get(everySub.sweepId)! - t0,
      },
      cellsPerS: (spreadSub.cells + everySub.placements) / (makespanMs / 1000),
      heartbeatMs: {
        p50: quantile(heartbeats, 0.5),
        p95: quantile(heartbeats, 0.95),
        p99: quantile(heartbeats, 0.99),
        max: Math.max(...heartbeats),
        samples: heartbeats.length,
      },
      idleWhileWaiting: {
        maxPctOfMakespan: (100 * worst.idleMs) / makespanMs,
        meanPctOfMakespan: (100 * idle.reduce((s, x) => s + x.idleMs, 0)) / idle.length / makespanMs,
        maxMs: worst.idleMs,
        worstAgent: worst.name,
      },
      makespanMs,
      idealMakespanMs: ideal,
      makespanOverIdeal: makespanMs / ideal,
      resultsReceived: results.received,
      duplicateResults: results.received - distinct,
    };
  } finally {
    sampling = false;
    await sampler?.catch(() => undefined);
    await Promise.all(agents.map((a) => stopChild(a, 5_000).catch(() => undefined)));
    await stopChild(coordinator, 5_000).catch(() => undefined);
    await nc.close().catch(() => undefined);
    await nats.stop().catch(() => undefined);
    await rm(runDir, { recursive: true, force: true });
    await rm(bundles.dir, { recursive: true, force: true });
  }
}

const RSS_TARGET_MIB = 300;
const IDLE_TARGET_PCT = 5;
const MAKESPAN_TARGET = 1.15;

/** `npm run bench -- --only fleet`: one run (several minutes on the shared 2-core box). */
export async function benchFleet(dir: string, runs: number, config = FLEET_64): Promise<BenchResult> {
  const measured: FleetFigures[] = [];
  for (let r = 0; r < runs; r++) measured.push(await runFleet(dir, config));
  const last = measured[measured.length - 1]!;
  const worstRss = Math.max(...measured.map((m) => m.coordinatorPeakRssMib));
  const worstIdle = Math.max(...measured.map((m) => m.idleWhileWaiting.maxPctOfMakespan));
  return benchResult(
    "fleet",
    "makespan/ideal",
    measured.map((m) => m.makespanOverIdeal),
    { direction: "below", value: MAKESPAN_TARGET },
    {
      ...flatten(last),
      ...(runs > 1 ? { figures_are_of: `the last of ${runs} runs; targets judged on the worst` } : {}),
      idle_method: `agent outside a session while one of its pools had num_pending > 0, sampled every ${BACKLOG_SAMPLE_MS} ms`,
      ideal_method: "Σ base ms of the distinct stored placements ÷ Σ (1/slowdown) over the agents",
    },
    [
      { text: `coordinator peak RSS < ${RSS_TARGET_MIB} MiB`, meets: worstRss < RSS_TARGET_MIB },
      {
        text: `max idle while work waited < ${IDLE_TARGET_PCT} % of makespan`,
        meets: worstIdle < IDLE_TARGET_PCT,
      },
    ],
  );
}

/** Nested figures as snake_case keys with units, for the table and JSON lines. */
function flatten(f: FleetFigures): Record<string, unknown> {
  const r = (x: number | undefined, digits = 1): number | undefined =>
    x === undefined ? undefined : Math.round(x * 10 ** digits) / 10 ** digits;
  return {
    agents: f.agents,
    slow_agents: f.slowAgents,
    spread_cells: f.spreadCells,
    every_host_placements: f.everyHostPlacements,
    shards_spread: f.shards.spread,
    shards_every_host: f.shards.everyHost,
    coordinator_peak_rss_mib: r(f.coordinatorPeakRssMib),
    coordinator_cpu_s: r(f.coordinatorCpuS),
    nats_server_peak_rss_mib: r(f.natsServerPeakRssMib),
    nats_server_cpu_s: r(f.natsServerCpuS),
    agent_peak_rss_mib_median: r(f.agentPeakRssMibMedian),
    agent_cpu_s_median: r(f.agentCpuSMedian),
    agent_own_ms_per_cell_p50: r(f.agentPerCellMs.p50, 2),
    agent_own_ms_per_cell_p99: r(f.agentPerCellMs.p99, 2),
    submit_rpc_ms_spread: r(f.submitRpcMs.spread, 0),
    submit_rpc_ms_every_host: r(f.submitRpcMs.everyHost, 0),
    submit_to_first_result_ms_spread: r(f.submitToFirstResultMs.spread, 0),
    submit_to_first_result_ms_every_host: r(f.submitToFirstResultMs.everyHost, 0),
    submit_to_close_out_ms_spread: r(f.submitToCloseOutMs.spread, 0),
    submit_to_close_out_ms_every_host: r(f.submitToCloseOutMs.everyHost, 0),
    cells_per_s: r(f.cellsPerS),
    heartbeat_ms_p50: r(f.heartbeatMs.p50, 2),
    heartbeat_ms_p95: r(f.heartbeatMs.p95, 2),
    heartbeat_ms_p99: r(f.heartbeatMs.p99, 2),
    heartbeat_ms_max: r(f.heartbeatMs.max, 2),
    heartbeat_samples: f.heartbeatMs.samples,
    idle_while_waiting_max_pct_of_makespan: r(f.idleWhileWaiting.maxPctOfMakespan, 2),
    idle_while_waiting_mean_pct_of_makespan: r(f.idleWhileWaiting.meanPctOfMakespan, 2),
    idle_while_waiting_max_ms: r(f.idleWhileWaiting.maxMs, 0),
    idle_while_waiting_worst_agent: f.idleWhileWaiting.worstAgent,
    makespan_ms: r(f.makespanMs, 0),
    ideal_makespan_ms: r(f.idealMakespanMs, 0),
    makespan_over_ideal: r(f.makespanOverIdeal, 3),
    results_received: f.resultsReceived,
    duplicate_results: f.duplicateResults,
  };
}
