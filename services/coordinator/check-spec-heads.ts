// Speculation types that read heads from a GGUF (draft-mtp from the target, draft-eagle3/-dflash/-dspark
// from the model given as the draft) are checked at submit against the GGUF facts the agents read from the
// models they hold, so a sweep that could only fail is refused before it starts, naming the model and the
// metadata it lacks (core/spec-types.ts missingHeads).
import type { AgentInfo } from "../../core/agent-info.js";
import { SpecgridError } from "../../core/errors.js";
import type { Manifest } from "../../core/manifest/manifest.js";
import { missingHeads, specTypeTraits, type SpeculationHeadFacts } from "../../core/spec-types.js";

function headFacts(facts: unknown): SpeculationHeadFacts | undefined {
  if (typeof facts !== "object" || facts === null) return undefined;
  const f = facts as { architecture?: unknown; heads?: unknown };
  if (typeof f.architecture !== "string" || typeof f.heads !== "object" || f.heads === null) return undefined;
  const h = f.heads as { nextnPredictLayers?: unknown; nextnTensors?: unknown; markovHead?: unknown };
  return {
    architecture: f.architecture,
    heads: {
      ...(typeof h.nextnPredictLayers === "number" ? { nextnPredictLayers: h.nextnPredictLayers } : {}),
      nextnTensors: h.nextnTensors === true,
      markovHead: h.markovHead === true,
    },
  };
}

/** Throws MODEL_LACKS_HEADS listing every (type, model) whose GGUF lacks the heads the type reads. */
export function checkSpecHeads(manifest: Manifest, agents: readonly AgentInfo[]): void {
  const problems: string[] = [];
  const checked = new Set<string>();
  for (const specType of manifest.sweep.specType) {
    for (const need of specTypeTraits(specType).heads) {
      const names =
        need.in === "target"
          ? manifest.pairs.map((p) => p.target)
          : manifest.pairs.flatMap((p) => (p.draft === undefined ? [] : [p.draft]));
      for (const name of names) {
        const id = `${need.type}\u0000${name}`;
        if (checked.has(id)) continue;
        checked.add(id);
        const model = manifest.models[name];
        const sha = model?.sha256?.toLowerCase();
        const held = agents
          .flatMap((a) => a.models)
          .filter((m) => sha !== undefined && m.sha256.toLowerCase() === sha);
        const facts = held.map((m) => headFacts(m.facts)).find((f) => f !== undefined);
        const role = need.in === "target" ? "target" : "draft";
        const label = `model "${name}"${model?.file === undefined ? "" : ` (file ${model.file})`}`;
        if (facts === undefined) {
          problems.push(
            `spec_type ${need.type} needs ${need.what} in the ${role}, and no agent could read the GGUF header of ${label} to check it`,
          );
          continue;
        }
        const why = missingHeads(need.type, facts);
        if (why !== undefined)
          problems.push(`spec_type ${need.type} needs ${need.what} in the ${role}: ${label}: ${why}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new SpecgridError(
      "MODEL_LACKS_HEADS",
      `${problems.join("; ")}. Use a model converted with those heads, or drop the type from sweep.spec_type.`,
      { details: { problems } },
    );
  }
}
