// The engines, one table: every fact about an engine that the planner, the manifest checks, the agents and
// the commands act on lives in its entry. Adding an engine is one entry here and one folder under
// agents/engines (wired in agents/engines/create-engine.ts by its family).

import type { CellKind } from "./cell.js";
import type { LlamaTool } from "./llama-tools.js";
import { SPEC_TYPE_NAMES, type SpecTypeName } from "./spec-types.js";

/** How an engine is implemented: the agents' factory builds one class per family. */
export type EngineFamily = "in-process" | "llama-server" | "llama-cli" | "llama-bench";

export interface EngineTraits {
  family: EngineFamily;
  /** A manifest's `engine:` may name it; the others run single cells (cell run, agent start). */
  manifest: boolean;
  /**
   * What loads the models: every cell (a CLI tool process per cell), every server configuration (a server
   * per block of cells with the same flags, core/plan/server-blocks.ts) or the session (once per shard).
   */
  loads: "cell" | "server-config" | "session";
  /** Runs the adaptive K policy (K chosen per step); the others draft a fixed K per process. */
  adaptiveK: boolean;
  /** Largest K it drafts, where it has a limit of its own. */
  kMax?: number;
  /**
   * How its draft tokens are accepted: rejection sampling (the theory's α at every temperature) or a greedy
   * match of the target's sample (llama.cpp draft-simple), which is α only at temperature 0.
   */
  drafter: "rejection-sampling" | "greedy";
  /** The llama.cpp programs it runs, main one first; none for in-process. */
  tools: readonly LlamaTool[];
  /** Cell kinds it leaves to another of its tools (a speculative tool cannot run a baseline without a draft). */
  cellTools?: Partial<Record<CellKind, LlamaTool>>;
  /** Runs parallel cells with the draft loaded (llama-parallel cannot load one). */
  parallelDraft: boolean;
  /** Drafts a tree of sequences (manifest n_parallel, p_split); the others draft one sequence. */
  treeDrafting: boolean;
  /**
   * Speculation types (`--spec-type` values, core/spec-types.ts) it can run. llama-server and
   * llama-speculative-simple run them all through llama.cpp's common_speculative; the in-process engine and
   * llama-speculative draft with a draft model by rejection sampling of their own, listed as draft-simple
   * (a draft model, K tokens per step).
   */
  speculation: readonly SpecTypeName[];
  /**
   * Its speculative tool takes the cell's type as `--spec-type` (llama.cpp's common_speculative): which of
   * `speculation` a host runs is what its build's --help lists, placement checks that list, and the argv
   * builder refuses a type it lacks as rejected-parameter. False where the tool drafts its own way.
   */
  specTypeFlag: boolean;
  /**
   * Runs a sweep's own cells beside the sweep's engine rather than as `engine:`: llama-bench baselines
   * (manifest `llama_bench:`) run on every agent of a llama.cpp engine whose build has the tool.
   */
  companion?: boolean;
}

export const ENGINE_TRAITS = {
  "llama-server": {
    family: "llama-server",
    manifest: true,
    loads: "server-config",
    adaptiveK: false,
    drafter: "greedy",
    tools: ["llama-server"],
    parallelDraft: true,
    treeDrafting: false,
    speculation: SPEC_TYPE_NAMES,
    specTypeFlag: true,
  },
  "llama-speculative": {
    family: "llama-cli",
    manifest: true,
    loads: "cell",
    adaptiveK: false,
    drafter: "rejection-sampling",
    tools: ["llama-speculative", "llama-completion", "llama-parallel"],
    cellTools: { baseline: "llama-completion", parallel: "llama-parallel" },
    parallelDraft: false,
    treeDrafting: true,
    speculation: ["draft-simple"],
    specTypeFlag: false,
  },
  "llama-speculative-simple": {
    family: "llama-cli",
    manifest: true,
    loads: "cell",
    adaptiveK: false,
    drafter: "greedy",
    tools: ["llama-speculative-simple", "llama-completion", "llama-parallel"],
    cellTools: { baseline: "llama-completion", parallel: "llama-parallel" },
    parallelDraft: false,
    treeDrafting: false,
    speculation: SPEC_TYPE_NAMES,
    specTypeFlag: true,
  },
  "llama-completion": {
    family: "llama-cli",
    manifest: false,
    loads: "cell",
    adaptiveK: false,
    drafter: "rejection-sampling",
    tools: ["llama-completion"],
    parallelDraft: false,
    treeDrafting: false,
    speculation: [],
    specTypeFlag: false,
  },
  "llama-parallel": {
    family: "llama-cli",
    manifest: false,
    loads: "cell",
    adaptiveK: false,
    drafter: "rejection-sampling",
    tools: ["llama-parallel"],
    parallelDraft: false,
    treeDrafting: false,
    speculation: [],
    specTypeFlag: false,
  },
  "llama-bench": {
    family: "llama-bench",
    manifest: false,
    loads: "cell",
    adaptiveK: false,
    // no drafting at all: llama-bench has no speculative option; its cells are target-only baselines
    drafter: "greedy",
    tools: ["llama-bench"],
    parallelDraft: false,
    treeDrafting: false,
    speculation: [],
    specTypeFlag: false,
    companion: true,
  },
  "in-process": {
    family: "in-process",
    manifest: true,
    loads: "session",
    adaptiveK: true,
    kMax: 16,
    drafter: "rejection-sampling",
    tools: [],
    parallelDraft: true,
    treeDrafting: false,
    speculation: ["draft-simple"],
    specTypeFlag: false,
  },
} as const satisfies Record<string, EngineTraits>;

export type EngineName = keyof typeof ENGINE_TRAITS;

/** Every engine, in the table's order. */
export const ENGINE_NAMES = Object.keys(ENGINE_TRAITS) as [EngineName, ...EngineName[]];

/** The engines a manifest may name. */
export type ManifestEngine = {
  [N in EngineName]: (typeof ENGINE_TRAITS)[N]["manifest"] extends true ? N : never;
}[EngineName];
export const MANIFEST_ENGINES = ENGINE_NAMES.filter((n) => ENGINE_TRAITS[n].manifest) as [
  ManifestEngine,
  ...ManifestEngine[],
];

/** The engine of a manifest without `engine:`. */
export const DEFAULT_ENGINE: ManifestEngine = "llama-server";

/** The engines of one family, e.g. the CLI tools an LlamaCliEngine runs. */
export type EngineOfFamily<F extends EngineFamily> = {
  [N in EngineName]: (typeof ENGINE_TRAITS)[N]["family"] extends F ? N : never;
}[EngineName];

/** The traits of a name read from user input, undefined when it names no engine. */
export function engineTraitsOf(name: string): EngineTraits | undefined {
  return Object.hasOwn(ENGINE_TRAITS, name) ? ENGINE_TRAITS[name as EngineName] : undefined;
}

/** The llama.cpp program a cell of this kind runs on with this engine; undefined for in-process. */
export function toolForCell(engine: EngineName, kind: CellKind): LlamaTool | undefined {
  const traits: EngineTraits = ENGINE_TRAITS[engine];
  return traits.cellTools?.[kind] ?? traits.tools[0];
}
