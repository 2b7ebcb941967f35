// A real cluster for runtime tests: nats-server from the harness, the coordinator in this process on
// 127.0.0.1:0 (or a given port, for restarts), agents as real child processes (`bin/dev.js agent start`),
// each with its own model dir holding copies of the reference models it is meant to have.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { JOBS_STREAM } from "../../core/nats-names.js";
import type { CellResult } from "../../core/metrics.js";
import { createCoordinatorClient, type CoordinatorClient } from "../../core/wire/coordinator-client.js";
import type { SweepStatus } from "../../core/wire/generated.js";
import { startCoordinator, type RunningCoordinator } from "../../services/coordinator/start-coordinator.js";
import { coordinatorPlanning } from "../../services/coordinator/coordinator-planning.js";
import { getModelFamily } from "../support/model-family.js";
import { sweepResults } from "../support/daemon-stack.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export const TOKEN = "test-token-123-runtime-cluster";

/** Fast timeouts: a dead agent's shard comes back in ~2 s. */
export const FAST = { heartbeatMs: 300, livenessMs: 1500, ackWaitMs: 2000, maxDeliver: 4 };

export interface AgentProcess {
  name: string;
  child: ChildProcess;
  log: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export class RuntimeCluster {
  nats!: TestNats;
  coordinator?: RunningCoordinator;
  client!: CoordinatorClient;
  dir!: string;
  port = 0;
  readonly agents: AgentProcess[] = [];

  /** Set when the coordinator runs as a child process (`coordinator start`), for kill tests. */
  coordinatorProcess?: ChildProcess;
  coordinatorLog = "";

  /** JetStream replicas the coordinator asks for (3 on a test cluster). */
  replicas = 1;

  /** `nats`: a server (or cluster, comma-separated URLs) the caller started; it is stopped with the cluster. */
  static async start(
    opts: { native?: boolean; coordinatorProcess?: boolean; nats?: TestNats; replicas?: number } = {},
  ): Promise<RuntimeCluster> {
    const c = new RuntimeCluster();
    c.dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-rt-"));
    c.replicas = opts.replicas ?? 1;
    c.nats = opts.nats ?? (await startTestNats({ native: opts.native }));
    if (opts.coordinatorProcess) await c.spawnCoordinator();
    else await c.startCoordinator();
    c.client = createCoordinatorClient({ address: `127.0.0.1:${c.port}`, token: TOKEN, callTimeoutMs: 5000 });
    return c;
  }

  async startCoordinator(): Promise<void> {
    this.coordinator = await startCoordinator({
      listen: `127.0.0.1:${this.port}`,
      natsUrl: this.nats.url,
      token: TOKEN,
      replicas: this.replicas,
      logger: pino({ level: process.env.SPECGRID_TEST_LOG ?? "silent" }),
      ...FAST,
      ...coordinatorPlanning({ targetShardMs: 1 }),
    });
    this.port = this.coordinator.port;
  }

  /** `specgrid coordinator start` as a real process on a fixed port (kept across restarts). */
  async spawnCoordinator(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const argv = [
      path.join(repoRoot, "bin/dev.js"),
      "coordinator",
      "start",
      "--listen",
      `127.0.0.1:${this.port}`,
      "--nats",
      this.nats.url,
      "--heartbeat-ms",
      String(FAST.heartbeatMs),
      "--liveness-ms",
      String(FAST.livenessMs),
      "--ack-wait-ms",
      String(FAST.ackWaitMs),
      "--max-deliver",
      String(FAST.maxDeliver),
      "--target-shard-ms",
      "1",
      "--replicas",
      String(this.replicas),
    ];
    const child = spawn(process.execPath, argv, {
      cwd: repoRoot,
      detached: true,
      env: { ...process.env, SPECGRID_TOKEN: TOKEN, NODE_ENV: "development" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => (this.coordinatorLog += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.coordinatorLog += d.toString()));
    this.coordinatorProcess = child;
    await waitFor(
      () => Promise.resolve(this.coordinatorLog.includes("coordinator listening")),
      60_000,
      () => `coordinator did not start:\n${this.coordinatorLog}`,
    );
  }

  /** SIGKILL the coordinator process (no graceful anything). */
  async killCoordinator(): Promise<void> {
    const child = this.coordinatorProcess;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    process.kill(-child.pid!, "SIGKILL");
    await exited;
    this.coordinatorProcess = undefined;
  }

  async stopCoordinator(): Promise<void> {
    await this.coordinator?.stop();
    this.coordinator = undefined;
  }

  /** A model dir with copies of the named reference models (target, draft-n0, draft-n02, ...). */
  modelDir(name: string, files: string[]): Promise<string> {
    return modelDirWith(this.dir, name, files);
  }

  async startAgent(name: string, models: string[], extra: string[] = []): Promise<AgentProcess> {
    const dir = await this.modelDir(name, models);
    const argv = this.agentArgv(name, dir, extra);
    const agent = await spawnAgentProcess([process.execPath, ...argv], name, this.client, name);
    this.agents.push(agent);
    return agent;
  }

  /** `agent start` arguments (after node) for an agent of this cluster reading models from `dir`. */
  agentArgv(name: string, dir: string, extra: string[] = []): string[] {
    return [
      path.join(repoRoot, "bin/dev.js"),
      "agent",
      "start",
      "--coordinator",
      `127.0.0.1:${this.port}`,
      "--models",
      dir,
      "--name",
      name,
      "--engine",
      "in-process",
      "--no-gpu-probe",
      "--drain-ms",
      "5000",
      ...extra,
    ];
  }

  async writeManifest(name: string, body: Record<string, unknown>): Promise<string> {
    const file = path.join(this.dir, `${name}.json`);
    const manifest = {
      name,
      models: {
        target: { file: "target.gguf" },
        "draft-n0": { file: "draft-n0.gguf" },
        "draft-n0.02": { file: "draft-n0.02.gguf" },
      },
      pairs: [{ target: "target", draft: "draft-n0" }],
      prompts: ["Once upon a time"],
      sweep: { k: [2], temperature: [0], n_predict: 8, repeats: 1, seed: 1 },
      baseline: true,
      placement: "spread",
      engine: "in-process",
      llama: { gpu_layers: 0, ctx: 256, threads: 1 },
      ...body,
    };
    // JSON is YAML: no serializer needed
    await writeFile(file, JSON.stringify(manifest, null, 2));
    return file;
  }

  async waitForSweep(sweepId: string, timeoutMs = 90_000): Promise<SweepStatus> {
    let last: SweepStatus | undefined;
    await waitFor(
      async () => {
        try {
          last = await this.client.getSweep(sweepId);
        } catch {
          return false; // coordinator restarting
        }
        return last.state !== "running";
      },
      timeoutMs,
      () =>
        `sweep ${sweepId} still ${last?.state} (${last?.done}/${last?.placementsTotal})\n${this.agents.map((a) => `--- ${a.name}\n${a.log().slice(-3000)}`).join("\n")}`,
    );
    return last!;
  }

  /** Every result message of a sweep, straight from the stream (duplicates included). */
  results(sweepId: string): Promise<CellResult[]> {
    return sweepResults(this.nats.url, sweepId);
  }

  async stop(): Promise<void> {
    for (const a of this.agents) await a.kill("SIGKILL");
    await this.killCoordinator();
    this.client?.close();
    await this.stopCoordinator();
    await this.nats?.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  why: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${why()}`);
}

/** Placement key → results: spread placements are per cell, every-host per (cell, host). */
export function byPlacement(results: CellResult[], spread: boolean): Map<string, CellResult[]> {
  const map = new Map<string, CellResult[]>();
  for (const r of results) {
    const key = spread ? r.cellId : `${r.cellId}|${r.hostId}`;
    map.set(key, [...(map.get(key) ?? []), r]);
  }
  return map;
}

/** `<parent>/models-<name>` holding copies of the named family models (target, draft-n0, draft-n0.02, ...). */
export async function modelDirWith(parent: string, name: string, files: string[]): Promise<string> {
  const family = await getModelFamily();
  const dir = path.join(parent, `models-${name}`);
  await mkdir(dir, { recursive: true });
  for (const f of files) await copyFile(path.join(family.dir, `${f}.gguf`), path.join(dir, `${f}.gguf`));
  return dir;
}

/**
 * Starts `agent start` as a real process in its own group (argv[0] is the program: node, or `ip netns exec`,
 * which execs node in place) and waits until the coordinator lists it alive; `where` names it in errors.
 * An agent that never registers is killed before the error is thrown.
 */
export async function spawnAgentProcess(
  argv: string[],
  name: string,
  client: CoordinatorClient,
  where: string,
): Promise<AgentProcess> {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: repoRoot,
    detached: true,
    env: { ...process.env, SPECGRID_TOKEN: TOKEN, SPECGRID_LOG_LEVEL: "info", NODE_ENV: "development" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const agent: AgentProcess = {
    name,
    child,
    log: () => out,
    async kill(signal = "SIGKILL") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // gone
      }
      await exited;
    },
  };
  try {
    await waitFor(
      async () => (await client.listAgents()).some((a) => a.name === name && a.alive),
      60_000,
      () => `agent ${where} did not register:\n${out}`,
    );
  } catch (err) {
    await agent.kill();
    throw err;
  }
  return agent;
}

/**
 * Registers a bare agent that holds the given models (by sha256) and never pulls: enough for the coordinator
 * to accept a sweep whose shards the test then handles, or leaves, itself.
 */
/**
 * The one spread pool of the sweeps submitted so far: its name hashes everything the shard needs
 * (core/plan/shard-needs.ts), so tests that take a shard by hand look it up among the JOBS consumers.
 */
export async function onlySpreadPool(nc: NatsConnection): Promise<string> {
  const pools: string[] = [];
  for await (const c of (await jetstreamManager(nc)).consumers.list(JOBS_STREAM)) pools.push(c.name);
  const spread = pools.filter((name) => name.startsWith("req-"));
  if (spread.length !== 1) throw new Error(`expected one spread pool, found ${pools.join(", ") || "none"}`);
  return spread[0]!;
}

export async function registerHolder(
  client: CoordinatorClient,
  name: string,
  models: { file: string; sha256: string }[],
): Promise<{ agentId: string }> {
  return client.register({
    name,
    slots: 1,
    host: {
      hostId: name,
      hostname: name,
      os: "",
      cpu: "",
      cpuCores: 1,
      memoryMib: 1,
      gpus: [],
      llamaBuilds: [],
      engines: ["in-process"],
      labels: {},
      agentVersion: "",
    },
    inventory: { models: models.map((m) => ({ ...m, bytes: 1 })) },
  });
}
