// What a host must have to run a shard (DESIGN's placement contract): the engine, the models by sha256, the
// llama.cpp tools its cells run with the flags they use, and the memory one engine session takes. The
// coordinator checks registered agents against it (services/coordinator/host-eligibility.ts).
import type { Cell, Shard } from "../cell.js";
import { toolForCell, type EngineName } from "../engines.js";
import type { ToolCapabilities } from "../tool-capabilities.js";

/** A flag the cells pass, by its capability name (core/tool-capabilities.ts). */
export type NeededFlag = {
  [K in keyof ToolCapabilities]-?: NonNullable<ToolCapabilities[K]> extends string ? K : never;
}[keyof ToolCapabilities];

export interface ToolNeed {
  tool: string;
  /** Sorted. */
  flags: NeededFlag[];
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

/** The flags one cell passes to its tool, as the engines under agents/engines build their argv. */
function cellFlags(tool: string, cell: Cell): NeededFlag[] {
  const flags: NeededFlag[] = [];
  const cli = tool !== "llama-server";
  if (cli) flags.push("gpuLayers");
  if (usesDraft(cell) && (cell.kind === "speculative" || !cli)) {
    flags.push("draftModel", "draftMax");
    if (cell.pMin !== undefined && cell.pMin !== 0) flags.push("pMin");
    // tree drafting (llama-speculative): draft sequences and the split probability
    if (cell.nParallel !== undefined) flags.push("parallel");
    if (cell.pSplit !== undefined) flags.push("pSplit");
  }
  if (tool === "llama-parallel") flags.push("parallel", "sequences");
  return flags;
}

export function shardNeeds(shard: Shard): ShardNeeds {
  const { key, cells } = shard;
  const byTool = new Map<string, Set<NeededFlag>>();
  for (const cell of cells) {
    const tool = toolForCell(key.engine, cell.kind);
    if (tool === undefined) continue;
    const flags = byTool.get(tool) ?? new Set<NeededFlag>();
    for (const f of cellFlags(tool, cell)) flags.add(f);
    byTool.set(tool, flags);
  }
  const sha256s = [key.target.sha256, key.draft?.sha256].filter((s): s is string => s !== undefined);
  return {
    engine: key.engine,
    sha256s,
    tools: [...byTool.entries()]
      .map(([tool, flags]) => ({ tool, flags: [...flags].sort() }))
      .sort((a, b) => a.tool.localeCompare(b.tool)),
    memory: {
      withDraft: key.draft !== undefined && cells.some(usesDraft),
      ctx: key.llama.ctx,
      parallel: Math.max(1, ...cells.map((c) => (c.kind === "parallel" ? (c.concurrency ?? 1) : 1))),
      gpuLayers: key.llama.gpuLayers,
    },
  };
}
