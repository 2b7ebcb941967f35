// What a host must have to run a shard (DESIGN's placement contract): the engine, the models by sha256, the
// llama.cpp tools its cells run with the flags they use, and the memory one engine session takes. The
// coordinator checks registered agents against it (services/coordinator/host-eligibility.ts).
import type { Cell, Shard } from "../cell.js";
import { ENGINE_TRAITS, toolForCell, type EngineName } from "../engines.js";
import { DEFAULT_SPEC_TYPE, specTypeParts, specTypeTraits } from "../spec-types.js";
import type { ToolCapabilities } from "../tool-capabilities.js";

/** A flag the cells pass, by its capability name (core/tool-capabilities.ts). */
export type NeededFlag = {
  [K in keyof ToolCapabilities]-?: NonNullable<ToolCapabilities[K]> extends string ? K : never;
}[keyof ToolCapabilities];

export interface ToolNeed {
  tool: string;
  /** Sorted. */
  flags: NeededFlag[];
  /** `--spec-type` values its --help must list (draft-simple never: older builds run it unlisted). */
  specTypes?: string[];
}

export interface MemoryNeed {
  /** The draft is loaded beside the target (speculative cells, parallel cells with a draft). */
  withDraft: boolean;
  /** Context tokens per sequence (llama.ctx). */
  ctx: number;
  /** Sequences at once: the largest concurrency of the shard's cells, 1 without parallel cells. */
  parallel: number;
  /** Layers offloaded to a GPU (llama.gpu_layers). */
  gpuLayers: number;
}

export interface ShardNeeds {
  engine: EngineName;
  /** The shard's models: target first, then its draft. */
  sha256s: string[];
  /** Sorted by tool; empty for the in-process engine. */
  tools: ToolNeed[];
  memory: MemoryNeed;
}

function usesDraft(cell: Cell): boolean {
  return cell.draft !== undefined && cell.kind !== "baseline";
}

/** The flags one cell passes to its tool and the `--spec-type` values it names, as agents/engines build argv. */
function cellNeeds(
  engine: EngineName,
  tool: string,
  cell: Cell,
): { flags: NeededFlag[]; specTypes: string[] } {
  const flags: NeededFlag[] = [];
  const specTypes: string[] = [];
  // llama-bench baselines: the model and its offload, nothing speculative (agents/engines/llama-bench)
  if (cell.kind === "bench") return { flags: ["gpuLayers"], specTypes };
  const cli = ENGINE_TRAITS[engine].family === "llama-cli";
  if (cli) flags.push("gpuLayers");
  if (tool === "llama-parallel") flags.push("parallel", "sequences");
  if (cell.kind === "baseline" || (cli && cell.kind !== "speculative")) return { flags, specTypes };
  if (cell.kind === "parallel" && cell.draft === undefined) return { flags, specTypes };
  const specType = cell.specType ?? DEFAULT_SPEC_TYPE;
  const spec = specTypeTraits(specType);
  if (spec.draftModel) flags.push("draftModel");
  if (spec.usesK) {
    flags.push("draftMax");
    if (cell.pMin !== undefined && cell.pMin !== 0) flags.push("pMin");
  }
  // tree drafting (llama-speculative): draft sequences and the split probability
  if (cell.nParallel !== undefined) flags.push("parallel");
  if (cell.pSplit !== undefined) flags.push("pSplit");
  // draft-simple is what a draft model alone turned on in builds that do not list it
  if (ENGINE_TRAITS[engine].specTypeFlag)
    specTypes.push(...specTypeParts(specType).filter((t) => t !== DEFAULT_SPEC_TYPE));
  return { flags, specTypes };
}

export function shardNeeds(shard: Shard): ShardNeeds {
  const { key, cells } = shard;
  const byTool = new Map<string, { flags: Set<NeededFlag>; specTypes: Set<string> }>();
  for (const cell of cells) {
    const tool = toolForCell(key.engine, cell.kind);
    if (tool === undefined) continue;
    const need = byTool.get(tool) ?? { flags: new Set<NeededFlag>(), specTypes: new Set<string>() };
    const cellNeed = cellNeeds(key.engine, tool, cell);
    for (const f of cellNeed.flags) need.flags.add(f);
    for (const t of cellNeed.specTypes) need.specTypes.add(t);
    byTool.set(tool, need);
  }
  const sha256s = [key.target.sha256, key.draft?.sha256].filter((s): s is string => s !== undefined);
  return {
    engine: key.engine,
    sha256s,
    tools: [...byTool.entries()]
      .map(([tool, need]) => ({
        tool,
        flags: [...need.flags].sort(),
        ...(need.specTypes.size === 0 ? {} : { specTypes: [...need.specTypes].sort() }),
      }))
      .sort((a, b) => a.tool.localeCompare(b.tool)),
    memory: {
      withDraft: key.draft !== undefined && cells.some(usesDraft),
      ctx: key.llama.ctx,
      parallel: Math.max(1, ...cells.map((c) => (c.kind === "parallel" ? (c.concurrency ?? 1) : 1))),
      gpuLayers: key.llama.gpuLayers,
    },
  };
}
