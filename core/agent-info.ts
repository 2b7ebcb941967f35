// An agent as the coordinator knows it: its host, the llama.cpp tools it probed (capabilities parsed), the
// models it holds (by sha256, with their GGUF facts) and its liveness. The coordinator's registry, placement
// and model resolution work on this type; core/wire/agent-info-wire.ts converts it to and from the
// generated messages (Register, ListAgents, the agents KV bucket).
import type { ToolCapabilities } from "./tool-capabilities.js";

export interface AgentGpu {
  index: number;
  name: string;
  uuid: string;
  memoryTotalMib: number;
  memoryUsedMib: number;
  driver: string;
  computeCapability: string;
  powerLimitW?: number;
  smClockMhz?: number;
  memClockMhz?: number;
}

/** One probed llama.cpp program: its name (never a path), version and the flag spellings it accepts. */
export interface AgentLlamaTool {
  tool: string;
  version: string;
  buildNumber?: number;
  commit?: string;
  capabilities: ToolCapabilities;
}

export interface AgentHost {
  hostId: string;
  hostname: string;
  os: string;
  cpu: string;
  cpuCores: number;
  /** Total RAM. */
  memoryMib: number;
  gpus: AgentGpu[];
  cudaVersion?: string;
  llamaTools: AgentLlamaTool[];
  /** Engines the agent runs (core/engines.ts names). */
  engines: string[];
  labels: Record<string, string>;
  agentVersion: string;
  engineBackend?: string;
}

export interface AgentModel {
  sha256: string;
  /** File name only. */
  file: string;
  bytes: number;
  /** GGUF facts (core/gguf) as the agent read them; unchecked until a reader validates what it needs. */
  facts?: unknown;
}

/** What an agent sends when it registers. */
export interface AgentRegistration {
  name: string;
  host?: AgentHost;
  models: AgentModel[];
  slots: number;
  /** Random per agent process: tells a re-registering agent from a second one using the same name. */
  instanceId?: string;
}

export interface AgentInfo {
  agentId: string;
  name: string;
  host?: AgentHost;
  models: AgentModel[];
  alive: boolean;
  /** ISO time of the last registration or heartbeat. */
  lastSeen: string;
  runningShards: string[];
  slots: number;
  /** The agent process that holds this id now. */
  instanceId?: string;
}
