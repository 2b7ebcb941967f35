// Builds the agent's engine from its flags: the in-process engine as is; the llama.cpp engines from a probe
// of --llama-bin, whose facts (tool, version, capabilities; never paths) also go into the registration.
import type { EngineName } from "../../core/cell.js";
import type { LlamaBuild } from "../../proto/gen/specgrid/v1/types.js";
import type { Engine } from "../../agents/engines/engine.js";
import { createEngine } from "../../agents/engines/create-engine.js";
import { probeLlamaBuild } from "../../agents/probe/probe-llama-build.js";

export async function agentEngine(
  name: EngineName,
  llamaBinDir: string | undefined,
): Promise<{ engine: Engine; llamaBuilds: LlamaBuild[] }> {
  if (name === "in-process") return { engine: await createEngine(name), llamaBuilds: [] };
  const build = await probeLlamaBuild(llamaBinDir);
  const llamaBuilds: LlamaBuild[] = Object.values(build.tools).map((t) => ({
    binary: t.tool,
    version: t.version?.version ?? build.version?.version ?? "unknown",
    buildNumber: t.version?.buildNumber,
    commit: t.version?.commit,
    capabilitiesJson: JSON.stringify(t.capabilities),
  }));
  return { engine: await createEngine(name, { llama: { build } }), llamaBuilds };
}
