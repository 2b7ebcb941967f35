// What the agent tells the coordinator about its host at registration: facts, GPUs, engines, models.
import os from "node:os";
import type { HostFacts, InventoryModel, LlamaBuild } from "../../core/wire/generated.js";
import { probeGpus } from "../probe/probe-gpus.js";
import type { ModelFile } from "../probe/scan-models.js";

export const AGENT_VERSION = "0.1.0";

export async function collectHostFacts(opts: {
  hostId: string;
  engines: string[];
  labels: Record<string, string>;
  engineBackend?: string;
  llamaBuilds?: LlamaBuild[];
  /** Skip nvidia-smi (tests, CPU-only hosts). */
  skipGpuProbe?: boolean;
}): Promise<HostFacts> {
  const gpu = opts.skipGpuProbe ? { gpus: [] } : await probeGpus();
  return {
    hostId: opts.hostId,
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()}`,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cpuCores: os.cpus().length,
    memoryMib: Math.round(os.totalmem() / 1024 / 1024),
    gpus: gpu.gpus.map((g) => ({
      index: g.index,
      name: g.name,
      uuid: g.uuid,
      memoryTotalMib: g.memoryTotalMib ?? 0,
      memoryUsedMib: g.memoryUsedMib ?? 0,
      driver: g.driverVersion ?? "",
      computeCapability: g.computeCapability ?? "",
      powerLimitW: g.powerLimitW,
      smClockMhz: g.smClockMhz,
    })),
    cudaVersion: "cudaVersion" in gpu ? gpu.cudaVersion : undefined,
    llamaBuilds: opts.llamaBuilds ?? [],
    engines: opts.engines,
    labels: opts.labels,
    agentVersion: AGENT_VERSION,
    engineBackend: opts.engineBackend,
  };
}

export function inventoryOf(models: ModelFile[]): InventoryModel[] {
  return models.map((m) => ({
    sha256: m.sha256,
    file: m.file,
    bytes: m.sizeBytes,
    ...(m.facts === undefined ? {} : { factsJson: JSON.stringify(m.facts) }),
  }));
}
