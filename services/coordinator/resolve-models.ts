// Manifest model names → sha256 against what live agents hold. Absence and ambiguity are refused at submit
// with the model, the file and the hosts seen, so the user can fix the manifest or the fleet.
import type { Manifest } from "../../core/manifest/manifest.js";
import { modelsInUse } from "../../core/manifest/models-in-use.js";
import { SpecgridError } from "../../core/errors.js";
import type { AgentInfo } from "../../core/agent-info.js";

function describeFleet(agents: AgentInfo[]): string {
  if (agents.length === 0) return "no live agents are registered";
  return agents
    .map((a) => `${a.name}: ${a.models.map((m) => m.file).join(", ") || "(no models)"}`)
    .join("; ");
}

/** Returns a copy of the manifest with every model pinned by sha256. */
export function resolveModels(manifest: Manifest, agents: AgentInfo[]): Manifest {
  const models: Manifest["models"] = { ...manifest.models };
  // only models a pair uses must exist somewhere; a spare entry in `models` is not an error
  const used = modelsInUse(manifest);
  for (const [name, model] of Object.entries(manifest.models)) {
    if (!used.has(name)) continue;
    if (model.sha256 !== undefined) {
      const sha = model.sha256.toLowerCase();
      const holders = agents.filter((a) => a.models.some((m) => m.sha256.toLowerCase() === sha));
      if (holders.length === 0) {
        throw new SpecgridError(
          "MODEL_NOT_FOUND",
          `model "${name}" (sha256 ${sha.slice(0, 12)}…) is held by no live agent (${describeFleet(agents)}). ` +
            `Copy the file into an agent's --models dir (agents pick new files up on SIGHUP, every --rescan-ms, ` +
            `and when a submit asks for a model none holds), or fix the sha256 in the manifest.`,
          { details: { model: name, sha256: sha } },
        );
      }
      models[name] = { ...model, sha256: sha };
      continue;
    }
    const file = model.file ?? name;
    const bySha = new Map<string, string[]>();
    for (const a of agents) {
      for (const m of a.models) {
        if (m.file !== file) continue;
        const hosts = bySha.get(m.sha256) ?? [];
        hosts.push(a.name);
        bySha.set(m.sha256, hosts);
      }
    }
    if (bySha.size === 0) {
      throw new SpecgridError(
        "MODEL_NOT_FOUND",
        `model "${name}" (file ${file}) is held by no live agent (${describeFleet(agents)}). ` +
          `Copy ${file} into an agent's --models dir (agents pick new files up on SIGHUP, every --rescan-ms, ` +
          `and when a submit asks for a model none holds), or fix the file name in the manifest.`,
        { details: { model: name, file } },
      );
    }
    if (bySha.size > 1) {
      const versions = [...bySha.entries()].map(
        ([sha, hosts]) => `${sha.slice(0, 12)}… on ${hosts.join(", ")}`,
      );
      throw new SpecgridError(
        "MODEL_AMBIGUOUS",
        `model "${name}" (file ${file}) has different contents on different hosts: ${versions.join("; ")}. ` +
          `Pin the one you mean with sha256: in the manifest's models.${name}.`,
        { details: { model: name, file, versions: Object.fromEntries(bySha) } },
      );
    }
    const [sha] = [...bySha.keys()];
    models[name] = { ...model, sha256: sha };
  }
  return { ...manifest, models };
}
