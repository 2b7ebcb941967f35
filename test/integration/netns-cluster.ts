// A runtime cluster whose agents are separate hosts: nats-server and the coordinator in the root namespace,
// bound to the lab bridge's address, and each agent a real `agent start` process inside its own network
// namespace (test/support/netns.ts), so every heartbeat, pull and result crosses a veth link.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { pino } from "pino";
import type { CellResult } from "../../core/metrics.js";
import { RESULTS_STREAM, resultsSubject } from "../../core/nats-names.js";
import { createCoordinatorClient, type CoordinatorClient } from "../../core/wire/coordinator-client.js";
import { decodeCellResult } from "../../core/wire/nats-payloads.js";
import { coordinatorPlanning } from "../../services/coordinator/coordinator-planning.js";
import { launchNatsServer, type LaunchedNats } from "../../services/nats/launch-nats-server.js";
import { startCoordinator, type RunningCoordinator } from "../../services/coordinator/start-coordinator.js";
import { NetnsLab, type NetnsHost } from "../support/netns.js";
import { FAST, TOKEN, modelDirWith, spawnAgentProcess, type AgentProcess } from "./runtime-cluster.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface NetnsAgent extends AgentProcess {
  host: NetnsHost;
}

export class NetnsCluster {
  readonly agents: NetnsAgent[] = [];
  client!: CoordinatorClient;
  dir!: string;
  lab!: NetnsLab;
  private nats?: LaunchedNats;
  private coordinator?: RunningCoordinator;

  static async start(): Promise<NetnsCluster> {
    const c = new NetnsCluster();
    c.dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-netns-"));
    try {
      c.lab = await NetnsLab.create();
      c.nats = await launchNatsServer({ host: c.lab.rootAddress });
      c.coordinator = await startCoordinator({
        listen: `${c.lab.rootAddress}:0`,
        natsUrl: c.nats.url,
        token: TOKEN,
        logger: pino({ level: process.env.SPECGRID_TEST_LOG ?? "silent" }),
        ...FAST,
        ...coordinatorPlanning(),
      });
      c.client = createCoordinatorClient({
        address: `${c.lab.rootAddress}:${c.coordinator.port}`,
        token: TOKEN,
        callTimeoutMs: 5000,
      });
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  get natsUrl(): string {
    return this.nats!.url;
  }

  /** A new namespace host running `agent start` with copies of the named reference models. */
  async startAgent(name: string, models: string[], labels: Record<string, string> = {}): Promise<NetnsAgent> {
    const host = await this.lab.addHost(name);
    const modelDir = await modelDirWith(this.dir, name, models);
    const argv = [
      ...host.execPrefix,
      process.execPath,
      path.join(repoRoot, "bin/dev.js"),
      "agent",
      "start",
      "--coordinator",
      `${this.lab.rootAddress}:${this.coordinator!.port}`,
      "--models",
      modelDir,
      "--name",
      name,
      "--engine",
      "in-process",
      "--no-gpu-probe",
      "--drain-ms",
      "2000",
      ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
    ];
    // `ip netns exec` execs the command in place, so the child's pid and group are the agent's own
    const agent: NetnsAgent = {
      ...(await spawnAgentProcess(argv, name, this.client, `${name} (netns ${host.netns}, ${host.address})`)),
      host,
    };
    this.agents.push(agent);
    return agent;
  }

  async isAlive(name: string): Promise<boolean> {
    return (await this.client.listAgents()).some((a) => a.name === name && a.alive);
  }

  /** Every result message of a sweep, straight from the stream (duplicates included). */
  async results(sweepId: string): Promise<CellResult[]> {
    const nc = await connect({ servers: this.natsUrl });
    try {
      const js = jetstream(nc);
      const info = await (await js.jetstreamManager()).streams.info(RESULTS_STREAM);
      const out: CellResult[] = [];
      if (info.state.messages === 0) return out;
      const consumer = await js.consumers.get(RESULTS_STREAM, {
        deliver_policy: DeliverPolicy.All,
        filter_subjects: resultsSubject(sweepId),
      });
      const msgs = await consumer.consume();
      const timer = setTimeout(() => void msgs.stop(), 5_000); // no message at all for this sweep
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

  /** Agents first (they live in the namespaces), then the coordinator, NATS, the lab and the temp dir. */
  async stop(): Promise<void> {
    for (const a of this.agents) await a.kill("SIGKILL");
    this.client?.close();
    await this.coordinator?.stop();
    await this.nats?.stop();
    await this.lab?.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Per-placement tally of a sweep's results, the figures each test prints and checks. */
export interface PlacementTally {
  expected: number;
  /** Placements with exactly one non-failed result. */
  valid: number;
  /** Placements with more than one non-failed result. */
  duplicated: number;
  /** Placements with no non-failed result. */
  lost: number;
  /** Result messages in the stream, duplicates included. */
  messages: number;
}

export function tallyPlacements(
  expectedKeys: readonly string[],
  byKey: Map<string, CellResult[]>,
): PlacementTally {
  let valid = 0;
  let duplicated = 0;
  let lost = 0;
  for (const key of expectedKeys) {
    const ok = (byKey.get(key) ?? []).filter((r) => r.outcome.status !== "failed").length;
    if (ok === 1) valid++;
    else if (ok > 1) duplicated++;
    else lost++;
  }
  const messages = [...byKey.values()].reduce((n, rs) => n + rs.length, 0);
  return { expected: expectedKeys.length, valid, duplicated, lost, messages };
}
