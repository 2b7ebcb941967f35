// The daemons of a cluster in this process, with an engine the caller built: a nats-server (the test
// harness), the coordinator on 127.0.0.1:0 with the default planning, one agent whose log lines are kept
// (parsed) for the caller to count server starts and stops. Sweeps go in through the real gRPC client;
// results come back from the results stream. Real-binary tests and the real-sweep benchmark run on it.
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { startAgent, type RunningAgent } from "../../agents/daemon/agent-daemon.js";
import type { Engine } from "../../agents/engines/engine.js";
import type { LlamaBuildProbe } from "../../agents/probe/probe-llama-build.js";
import { llamaBuildsOf } from "../../cli/workflows/agent-engine.js";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import type { EngineName } from "../../core/cell.js";
import type { CellResult } from "../../core/metrics.js";
import { natsLogin } from "../../core/nats-credentials.js";
import { RESULTS_STREAM, resultsSubject } from "../../core/nats-names.js";
import { createCoordinatorClient, type CoordinatorClient } from "../../core/wire/coordinator-client.js";
import { decodeCellResult } from "../../core/wire/nats-payloads.js";
import type { SweepStatus } from "../../core/wire/generated.js";
import { coordinatorPlanning } from "../../services/coordinator/coordinator-planning.js";
import { startCoordinator, type RunningCoordinator } from "../../services/coordinator/start-coordinator.js";
import { startTestNats, type TestNats } from "./nats-server.js";

const TOKEN = "daemon-stack-token";

export interface DaemonStackOptions {
  engine: Engine;
  engineName: EngineName;
  modelDirs: string[];
  /** Planned shard duration. @default the coordinator's (5 minutes) */
  targetShardMs?: number;
  /** The coordinator's heartbeat period, which agents take at registration. @default 500 */
  heartbeatMs?: number;
  /** How long one pull waits for a shard (the agent's pullExpiresMs). @default 1000 */
  pullExpiresMs?: number;
  /** Agent name. @default "stack-agent" */
  agentName?: string;
  /**
   * The llama.cpp build the engine runs, reported at registration as a real agent does: placement checks a
   * shard's tools and flags against it, so a llama.cpp engine without it is eligible for nothing.
   */
  llamaBuild?: LlamaBuildProbe;
}

export interface SweepRun {
  sweepId: string;
  status: SweepStatus;
  results: CellResult[];
  /** From submit to the sweep's end, ms. */
  wallMs: number;
}

export interface DaemonStack {
  client: CoordinatorClient;
  natsUrl: string;
  /** The agent's log lines, parsed (pino JSON), in order. */
  agentLog: Record<string, unknown>[];
  /** Submits the manifest file and waits for the sweep to end. */
  runSweep(manifestFile: string, timeoutMs?: number): Promise<SweepRun>;
  stop(): Promise<void>;
}

export async function startDaemonStack(o: DaemonStackOptions): Promise<DaemonStack> {
  const agentLog: Record<string, unknown>[] = [];
  const silent = pino({ level: "silent" });
  const agentLogger = pino(
    { level: "info" },
    { write: (line: string) => void agentLog.push(JSON.parse(line) as Record<string, unknown>) },
  );
  let nats: TestNats | undefined;
  let coordinator: RunningCoordinator | undefined;
  let agent: RunningAgent | undefined;
  const clients: CoordinatorClient[] = [];
  const stop = async (): Promise<void> => {
    await agent?.stop().catch(() => undefined);
    for (const c of clients) c.close();
    await coordinator?.stop().catch(() => undefined);
    await nats?.stop().catch(() => undefined);
  };
  try {
    nats = await startTestNats({ native: true });
    coordinator = await startCoordinator({
      listen: "127.0.0.1:0",
      natsUrl: nats.url,
      token: TOKEN,
      logger: silent,
      heartbeatMs: o.heartbeatMs ?? 500,
      ...coordinatorPlanning(o.targetShardMs === undefined ? {} : { targetShardMs: o.targetShardMs }),
    });
    const address = `127.0.0.1:${coordinator.port}`;
    const client = createCoordinatorClient({ address, token: TOKEN });
    const agentClient = createCoordinatorClient({ address, token: TOKEN });
    clients.push(client, agentClient);
    agent = await startAgent({
      coordinator: agentClient,
      name: o.agentName ?? "stack-agent",
      modelDirs: o.modelDirs,
      engineName: o.engineName,
      engine: o.engine,
      llamaBuilds: llamaBuildsOf(o.llamaBuild),
      logger: agentLogger,
      slots: 1,
      skipGpuProbe: true,
      drainTimeoutMs: 5_000,
      ...(o.pullExpiresMs === undefined ? {} : { pullExpiresMs: o.pullExpiresMs }),
    });
    const natsUrl = nats.url;
    return {
      client,
      natsUrl,
      agentLog,
      async runSweep(manifestFile, timeoutMs = 600_000) {
        const started = performance.now();
        const sub = await client.submitSweep(await manifestForSubmit(manifestFile));
        const deadline = Date.now() + timeoutMs;
        let status = await client.getSweep(sub.sweepId);
        while (status.state === "running") {
          if (Date.now() > deadline) {
            throw new Error(
              `sweep ${sub.sweepId} still running after ${timeoutMs} ms (${status.done}/${status.placementsTotal})`,
            );
          }
          await new Promise((r) => setTimeout(r, 100));
          status = await client.getSweep(sub.sweepId);
        }
        const wallMs = performance.now() - started;
        return { sweepId: sub.sweepId, status, results: await sweepResults(natsUrl, sub.sweepId), wallMs };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Every result message of a sweep, straight from the results stream (duplicates included). A consumer reads
 * its own node's copy, and on a cluster a node that rejoined after a failover may still be catching up: a
 * read shorter than the stream leader's count is retried (for up to `timeoutMs`), so a lagging replica is
 * not mistaken for a lost result; after that the short read is returned as it is.
 */
export async function sweepResults(
  natsUrl: string,
  sweepId: string,
  timeoutMs = 30_000,
): Promise<CellResult[]> {
  // a cluster's URL is a comma-separated list
  const nc = await connect({ servers: natsLogin(natsUrl).servers });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const { out, expected } = await readSweepOnce(nc, sweepId);
        if (out.length >= expected || Date.now() > deadline) return out;
      } catch (err) {
        // JetStream still electing a leader on the node this connection reached: try again
        if (Date.now() > deadline) throw err;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await nc.close();
  }
}

async function readSweepOnce(
  nc: NatsConnection,
  sweepId: string,
): Promise<{ out: CellResult[]; expected: number }> {
  const js = jetstream(nc);
  const jsm = await js.jetstreamManager();
  const subject = resultsSubject(sweepId);
  const info = await jsm.streams.info(RESULTS_STREAM, { subjects_filter: subject });
  const expected = info.state.subjects?.[subject] ?? 0;
  const out: CellResult[] = [];
  if (expected === 0) return { out, expected };
  const consumer = await js.consumers.get(RESULTS_STREAM, {
    deliver_policy: DeliverPolicy.All,
    filter_subjects: subject,
  });
  const msgs = await consumer.consume();
  // a read that stalls (no message for 5 s) ends; the caller's count check decides whether to try again
  let timer = setTimeout(() => msgs.stop(), 5_000);
  try {
    for await (const m of msgs) {
      clearTimeout(timer);
      timer = setTimeout(() => msgs.stop(), 5_000);
      if (m.subject === subject) out.push(decodeCellResult(m.data));
      if (m.info.pending === 0) break;
    }
  } finally {
    clearTimeout(timer);
    msgs.stop();
  }
  return { out, expected };
}
