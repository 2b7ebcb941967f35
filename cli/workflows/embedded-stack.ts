// The embedded default: a nats-server child, the coordinator and N agents in this process, wired exactly
// as a cluster is (gRPC on 127.0.0.1, JetStream) so `specgrid run` exercises the same code path.
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { EngineName } from "../../core/cell.js";
import { createCoordinatorClient, type CoordinatorClient } from "../../core/wire/coordinator-client.js";
import { startAgent, type RunningAgent } from "../../agents/daemon/agent-daemon.js";
import type { LlamaBuildProbe } from "../../agents/probe/probe-llama-build.js";
import { launchNatsServer, type LaunchedNats } from "../../services/nats/launch-nats-server.js";
import { startCoordinator, type RunningCoordinator } from "../../services/coordinator/start-coordinator.js";
import { coordinatorPlanning } from "../../services/coordinator/coordinator-planning.js";
import { companionEngines, engineFor, llamaBuildsOf, probeAgentLlama } from "./agent-engine.js";
import type { LlamaBinChoice } from "./llama-build.js";

export interface EmbeddedStackOptions {
  agents: number;
  modelDirs: string[];
  engine: EngineName;
  /** The llama.cpp build the agents run (llama.cpp engines; llamaBinFor picks it). */
  llamaBin?: LlamaBinChoice;
  logger: Logger;
  /** JetStream store dir; a temp dir when omitted. */
  natsStoreDir?: string;
  /** Planned shard duration; small values spread a small sweep over several agents. */
  targetShardMs?: number;
}

export interface EmbeddedStack {
  client: CoordinatorClient;
  /** The embedded server's URL with its generated token (for natsLogin); never print it. */
  natsUrl: string;
  /** Process id of the embedded nats-server. */
  natsPid: number;
  coordinatorAddress: string;
  /** Stops agents (draining), coordinator and nats-server; safe to call twice. */
  stop(): Promise<void>;
}

export async function startEmbeddedStack(o: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const token = randomBytes(16).toString("hex");
  let nats: LaunchedNats | undefined;
  let coordinator: RunningCoordinator | undefined;
  const agents: RunningAgent[] = [];
  const agentClients: CoordinatorClient[] = [];
  let client: CoordinatorClient | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
    for (const c of agentClients) c.close();
    client?.close();
    await coordinator?.stop().catch(() => undefined);
    await nats?.stop().catch(() => undefined);
  };
  try {
    // one probe of the llama.cpp build serves every local agent; a missing tool fails before anything starts
    const build: LlamaBuildProbe | undefined = await probeAgentLlama(o.engine, o.llamaBin);
    // with a generated token: any other local process could otherwise read the jobs and results streams
    nats = await launchNatsServer({ storeDir: o.natsStoreDir, auth: true });
    coordinator = await startCoordinator({
      listen: "127.0.0.1:0",
      natsUrl: nats.clientUrl,
      token,
      logger: o.logger,
      heartbeatMs: 1_000,
      ...coordinatorPlanning({ targetShardMs: o.targetShardMs }),
    });
    client = createCoordinatorClient({ address: coordinator.address, token });
    for (let i = 1; i <= o.agents; i++) {
      const engine = await engineFor(o.engine, build);
      const agentClient = createCoordinatorClient({ address: coordinator.address, token });
      agentClients.push(agentClient);
      agents.push(
        await startAgent({
          coordinator: agentClient,
          name: `local-${i}`,
          modelDirs: o.modelDirs,
          engineName: o.engine,
          engine,
          companions: await companionEngines(o.engine, build),
          llamaBuilds: llamaBuildsOf(build),
          logger: o.logger,
          slots: 1,
          drainTimeoutMs: 5_000,
          natsUrl: nats.clientUrl,
        }),
      );
    }
    return {
      client,
      natsUrl: nats.clientUrl,
      natsPid: nats.pid,
      coordinatorAddress: coordinator.address,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
