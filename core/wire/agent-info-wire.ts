// AgentInfo (core/agent-info.ts) to and from the generated messages: Register's request, ListAgents' reply
// and the coordinator's agents KV bucket. Capabilities and GGUF facts travel as JSON strings and are parsed
// here, once per registration.
import type { AgentHost, AgentInfo, AgentLlamaTool, AgentModel, AgentRegistration } from "../agent-info.js";
import { SpecgridError } from "../errors.js";
import type * as pbc from "../../proto/gen/specgrid/v1/coordinator.js";
import type * as pb from "../../proto/gen/specgrid/v1/types.js";

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SpecgridError("WIRE_INVALID", `wire payload: ${what} is not JSON (${(err as Error).message})`);
  }
}

function toolFromProto(b: pb.LlamaBuild): AgentLlamaTool {
  const caps = b.capabilitiesJson === "" ? {} : parseJson(b.capabilitiesJson, `capabilities of ${b.binary}`);
  if (typeof caps !== "object" || caps === null || Array.isArray(caps)) {
    throw new SpecgridError("WIRE_INVALID", `wire payload: capabilities of ${b.binary} are not an object`);
  }
  return {
    tool: b.binary,
    version: b.version,
    ...(b.buildNumber === undefined ? {} : { buildNumber: b.buildNumber }),
    ...(b.commit === undefined ? {} : { commit: b.commit }),
    // the flag map agents/probe wrote (core/tool-capabilities.ts); readers check each flag they use
    capabilities: { specTypeDraftSimple: false, ...caps },
  };
}

function toolToProto(t: AgentLlamaTool): pb.LlamaBuild {
  return {
    binary: t.tool,
    version: t.version,
    buildNumber: t.buildNumber,
    commit: t.commit,
    capabilitiesJson: JSON.stringify(t.capabilities),
  };
}

export function hostFromProto(h: pb.HostFacts): AgentHost {
  const { llamaBuilds, gpus, cudaVersion, engineBackend, ...rest } = h;
  return {
    ...rest,
    gpus: gpus.map((g) => {
      const { powerLimitW, smClockMhz, memClockMhz, ...gpu } = g;
      return {
        ...gpu,
        ...(powerLimitW === undefined ? {} : { powerLimitW }),
        ...(smClockMhz === undefined ? {} : { smClockMhz }),
        ...(memClockMhz === undefined ? {} : { memClockMhz }),
      };
    }),
    llamaTools: llamaBuilds.map(toolFromProto),
    ...(cudaVersion === undefined ? {} : { cudaVersion }),
    ...(engineBackend === undefined ? {} : { engineBackend }),
  };
}

export function hostToProto(h: AgentHost): pb.HostFacts {
  const { llamaTools, ...rest } = h;
  return { ...rest, gpus: h.gpus.map((g) => ({ ...g })), llamaBuilds: llamaTools.map(toolToProto) };
}

function modelFromProto(m: pb.InventoryModel): AgentModel {
  return {
    sha256: m.sha256,
    file: m.file,
    bytes: m.bytes,
    ...(m.factsJson === undefined ? {} : { facts: parseJson(m.factsJson, `GGUF facts of ${m.file}`) }),
  };
}

function modelToProto(m: AgentModel): pb.InventoryModel {
  return {
    sha256: m.sha256,
    file: m.file,
    bytes: m.bytes,
    ...(m.facts === undefined ? {} : { factsJson: JSON.stringify(m.facts) }),
  };
}

export function registrationFromProto(r: pbc.RegisterRequest): AgentRegistration {
  return {
    name: r.name,
    ...(r.host === undefined ? {} : { host: hostFromProto(r.host) }),
    models: (r.inventory?.models ?? []).map(modelFromProto),
    slots: r.slots,
    ...(r.instanceId ? { instanceId: r.instanceId } : {}),
  };
}

export function agentInfoFromProto(a: pbc.AgentInfo): AgentInfo {
  return {
    agentId: a.agentId,
    name: a.name,
    ...(a.host === undefined ? {} : { host: hostFromProto(a.host) }),
    models: (a.inventory?.models ?? []).map(modelFromProto),
    alive: a.alive,
    lastSeen: a.lastSeen,
    runningShards: [...a.runningShards],
    slots: a.slots,
    ...(a.instanceId ? { instanceId: a.instanceId } : {}),
  };
}

export function agentInfoToProto(a: AgentInfo): pbc.AgentInfo {
  return {
    agentId: a.agentId,
    name: a.name,
    host: a.host === undefined ? undefined : hostToProto(a.host),
    inventory: { models: a.models.map(modelToProto) },
    alive: a.alive,
    lastSeen: a.lastSeen,
    runningShards: [...a.runningShards],
    slots: a.slots,
    ...(a.instanceId === undefined ? {} : { instanceId: a.instanceId }),
  };
}
