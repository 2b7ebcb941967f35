// The daemons of a cluster in this process, with an engine the caller built: a nats-server (the test
// harness), the coordinator on 127.0.0.1:0 with the default planning, one agent whose log lines are kept
// (parsed) for the caller to count server starts and stops. Sweeps go in through the real gRPC client;
// results come back from the results stream. Real-binary tests and the real-sweep benchmark run on it.
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { pino } from "pino";
import { startAgent, type RunningAgent } from "../../agents/daemon/agent-daemon.js";
import type { Engine } from "../../agents/engines/engine.js";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import type { EngineName } from "../../core/cell.js";
import type { CellResult } from "../../core/metrics.js";
import { natsLogin } from "../../core/nats-credentials.js";
import { RESULTS_STREAM, resultsSubject } from "../../core/nats-names.js";
import { createCoordinatorClient, type CoordinatorClient } from "../../core/wire/coordinator-client.js";
import { decodeCellResult } from "../../core/wire/nats-payloads.js";
import type { SweepStatus } from "../../proto/gen/specgrid/v1/coordinator.js";
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
  /** Agent name. @default "stack-agent" */
  agentName?: string;
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
      heartbeatMs: 500,
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
      logger: agentLogger,
      slots: 1,
      skipGpuProbe: true,
      drainTimeoutMs: 5_000,
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

/** Every result message of a sweep, straight from the results stream (duplicates included). */
export async function sweepResults(natsUrl: string, sweepId: string): Promise<CellResult[]> {
  // a cluster's URL is a comma-separated list
  const nc = await connect({ servers: natsLogin(natsUrl).servers });
  try {
    const js = jetstream(nc);
    const jsm = await js.jetstreamManager();
    const info = await jsm.streams.info(RESULTS_STREAM);
    const out: CellResult[] = [];
    if (info.state.messages === 0) return out;
    const consumer = await js.consumers.get(RESULTS_STREAM, {
      deliver_policy: DeliverPolicy.All,
      filter_subjects: resultsSubject(sweepId),
    });
    const msgs = await consumer.consume();
    const timer = setTimeout(() => msgs.stop(), 5_000); // no message at all for this sweep
    for await (const m of msgs) {
      clearTimeout(timer);
      if (m.subject === resultsSubject(sweepId)) out.push(decodeCellResult(m.data));
      if (m.info.pending === 0) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}
