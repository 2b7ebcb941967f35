// Stores what the coordinator knows about a sweep and not the results stream: its manifest (as submitted and
// as resolved), its cells (from its shards), the facts of the hosts that ran it and the models it used.
// Called by `results pull --coordinator` and by reproduce; the gRPC client comes from core/wire.
import type { Cell } from "../../core/cell.js";
import type { CoordinatorClient } from "../../core/wire/coordinator-client.js";
import { shardFromProto } from "../../core/wire/shard-wire.js";
import type { AgentInfo } from "../../core/wire/generated.js";
import type { HostFacts } from "../../core/wire/generated.js";
import type { Store } from "../store/open-store.js";
import type { HostSnapshot, ModelRecord } from "../store/store-records.js";

export function hostSnapshotFromFacts(f: HostFacts): HostSnapshot {
  // The build that matters for the report is the one the engines ran; the first probed binary stands for it.
  const build = f.llamaBuilds[0];
  return {
    hostId: f.hostId,
    hostname: f.hostname,
    os: f.os,
    cpu: f.cpu,
    cpuCores: f.cpuCores,
    memoryMib: f.memoryMib,
    gpus: f.gpus.map((g) => ({
      index: g.index,
      name: g.name,
      uuid: g.uuid,
      memoryTotalMib: g.memoryTotalMib,
      driver: g.driver,
      computeCapability: g.computeCapability,
    })),
    ...(f.gpus[0]?.driver === undefined ? {} : { driver: f.gpus[0].driver }),
    ...(f.cudaVersion === undefined ? {} : { cudaVersion: f.cudaVersion }),
    ...(build === undefined
      ? {}
      : {
          llamaVersion: build.version,
          ...(build.buildNumber === undefined ? {} : { llamaBuildNumber: build.buildNumber }),
          ...(build.commit === undefined ? {} : { llamaCommit: build.commit }),
        }),
    agentVersion: f.agentVersion,
    ...(f.engineBackend === undefined ? {} : { engineBackend: f.engineBackend }),
    labels: f.labels,
    facts: { engines: f.engines, llamaBuilds: f.llamaBuilds.map((b) => ({ ...b })) },
  };
}

export interface SyncSummary {
  sweepId: string;
  state: string;
  cells: number;
  hosts: number;
  models: number;
}

export async function syncSweep(
  store: Store,
  client: CoordinatorClient,
  sweepId: string,
): Promise<SyncSummary> {
  const status = await client.getSweep(sweepId);
  let manifestResolved: unknown;
  try {
    manifestResolved =
      status.manifestResolvedJson === "" ? undefined : (JSON.parse(status.manifestResolvedJson) as unknown);
  } catch {
    manifestResolved = { unparsed: status.manifestResolvedJson };
  }
  store.upsertSweep({
    sweepId,
    name: status.name,
    state: status.state,
    ...(status.manifestYaml === "" ? {} : { manifestYaml: status.manifestYaml }),
    ...(manifestResolved === undefined ? {} : { manifestResolved }),
    ...(status.submittedAt === "" ? {} : { submittedAt: status.submittedAt }),
    ...(status.finishedAt === undefined ? {} : { finishedAt: status.finishedAt }),
  });
  const cells = new Map<string, Cell>();
  for (const s of status.shards) for (const c of shardFromProto(s).shard.cells) cells.set(c.cellId, c);
  store.upsertCells(sweepId, [...cells.values()]);

  const agents: AgentInfo[] = await client.listAgents().catch(() => []);
  const ran = new Set(status.hosts.map((h) => h.hostId));
  const hosts = agents
    .filter((a) => a.host !== undefined && (ran.size === 0 || ran.has(a.host.hostId) || ran.has(a.agentId)))
    .map((a) => hostSnapshotFromFacts(a.host!));
  store.upsertHosts(sweepId, hosts);

  const facts = new Map<string, { file: string; bytes: number; facts?: unknown }>();
  for (const a of agents) {
    for (const m of a.inventory?.models ?? []) {
      let parsed: unknown;
      try {
        parsed = m.factsJson === undefined ? undefined : (JSON.parse(m.factsJson) as unknown);
      } catch {
        parsed = undefined;
      }
      facts.set(m.sha256, {
        file: m.file,
        bytes: Number(m.bytes),
        ...(parsed === undefined ? {} : { facts: parsed }),
      });
    }
  }
  const models = new Map<string, ModelRecord>();
  for (const c of cells.values()) {
    for (const ref of [c.target, c.draft]) {
      if (ref?.sha256 === undefined) continue;
      const known = facts.get(ref.sha256);
      models.set(ref.sha256, {
        sha256: ref.sha256,
        name: ref.name,
        ...(ref.file === undefined ? {} : { file: ref.file }),
        ...(known === undefined ? {} : { bytes: known.bytes, facts: known.facts }),
      });
    }
  }
  store.upsertModels([...models.values()]);
  return { sweepId, state: status.state, cells: cells.size, hosts: hosts.length, models: models.size };
}
