// The unit of measurement and the unit of scheduling. Shared by plan (core), the coordinator, the agents,
// the store and the report. A cell never carries a path or a command line: models are named by sha256
// (or, before resolution, by manifest file name) and parameters by value.

import type { EngineName } from "./engines.js";
import { DEFAULT_SPEC_TYPE, specLabel } from "./spec-types.js";

/** `bench`: a llama-bench baseline of the target (synthetic tokens, llama-bench's own repetitions). */
export type CellKind = "baseline" | "speculative" | "parallel" | "bench";

/** What a llama-bench cell runs besides `-n nPredict`: its repetitions (`-r`) and an optional pp test (`-p`). */
export interface BenchSettings {
  repetitions: number;
  /** Prompt-processing test of this many tokens; absent: `-p 0`, generation only. */
  nPrompt?: number;
}

/** Engines a manifest or `cell run` can name: core/engines.ts, the engine traits table. */
export { ENGINE_NAMES, type EngineName } from "./engines.js";

/** A model as a cell names it. `sha256` is set once the manifest is resolved (or pinned in the manifest). */
export interface ModelRef {
  /** Manifest name, e.g. `llama2-7b`. */
  name: string;
  /** File name on the agents' model dirs (never a path). */
  file?: string;
  sha256?: string;
}

/** llama.cpp settings shared by every cell of a sweep (manifest `llama:`). */
export interface LlamaSettings {
  gpuLayers: number;
  ctx: number;
  threads?: number;
  flashAttn: "auto" | "on" | "off";
  /** Batch size (-b); undefined lets the engine choose. */
  batch?: number;
}

/** Draft-length policy: a fixed K or the adaptive controller. */
export type KPolicy =
  | { kind: "fixed"; k: number }
  | { kind: "adaptive"; kMin: number; kMax: number; kStart: number; raiseAbove: number; lowerBelow: number };

/** The adaptive controller's settings (core/sampling/k-controller.ts). */
export type AdaptiveKSettings = Omit<Extract<KPolicy, { kind: "adaptive" }>, "kind">;

/**
 * The adaptive controller's settings where a manifest's `adaptive:` or `cell run`'s flags leave them out:
 * the one definition the manifest schema, the planner and `cell run` read.
 */
export const ADAPTIVE_K_DEFAULTS: Readonly<AdaptiveKSettings> = {
  kMin: 1,
  kMax: 16,
  kStart: 4,
  raiseAbove: 0.8,
  lowerBelow: 0.4,
};

/** A manifest or command-line K as a cell's policy: a fixed K, or "adaptive" with the given settings. */
export function kPolicyOf(
  k: number | "adaptive",
  adaptive: AdaptiveKSettings = ADAPTIVE_K_DEFAULTS,
): KPolicy {
  return k === "adaptive" ? { kind: "adaptive", ...adaptive } : { kind: "fixed", k };
}

/** The number a K policy stands for in tables and keys: the fixed K, or the adaptive policy's kMax. */
export function kValue(k: KPolicy): number;
export function kValue(k: KPolicy | undefined): number | undefined;
export function kValue(k: KPolicy | undefined): number | undefined {
  return k === undefined ? undefined : k.kind === "fixed" ? k.k : k.kMax;
}

/** A K policy in words: `4`, or `adaptive 1-8` (kMin-kMax); empty when the cell has none. */
export function kLabel(k: KPolicy | undefined): string {
  return k === undefined ? "" : k.kind === "fixed" ? String(k.k) : `adaptive ${k.kMin}-${k.kMax}`;
}

/**
 * A target and its draft by model name, `target+draft`; the target alone when there is no draft. A
 * speculation method other than plain draft-simple follows in brackets, `target [ngram-mod n-match=24]`,
 * so every table keyed by pair tells the methods apart.
 */
export function pairLabel(target: string, draft?: string, method?: string): string {
  const base = draft === undefined ? target : `${target}+${draft}`;
  return method === undefined || method === DEFAULT_SPEC_TYPE ? base : `${base} [${method}]`;
}

/** The speculation method of a cell in words (core/spec-types specLabel); undefined on baselines. */
export function methodOf(
  cell: Pick<CellParams, "kind" | "specType" | "specSettings" | "draft">,
): string | undefined {
  if (cell.kind === "baseline" || cell.kind === "bench") return undefined;
  if (cell.kind === "parallel" && cell.draft === undefined) return undefined;
  return specLabel(cell.specType, cell.specSettings);
}

export interface CellParams {
  kind: CellKind;
  engine: EngineName;
  target: ModelRef;
  /** Speculative cells, and parallel cells run with a draft. */
  draft?: ModelRef;
  /** Draft tokens per step (speculative; parallel with draft). */
  k?: KPolicy;
  /** Minimum draft probability to continue drafting (llama.cpp --draft-p-min). */
  pMin?: number;
  /**
   * Tree drafting (llama-speculative only): draft sequences, i.e. tree branches (`-np`), and the draft
   * probability above which a branch splits (`--spec-draft-p-split`, set when nParallel > 1). Absent when
   * the manifest lists no `sweep.n_parallel`.
   */
  nParallel?: number;
  pSplit?: number;
  /**
   * Speculative cells: the `--spec-type` value (core/spec-types.ts), e.g. `draft-simple`, `ngram-mod` or
   * `ngram-mod,draft-simple`. Types without a draft model (n-gram, MTP) run with no `draft`, and the n-gram
   * types with no `k` (they size their drafts with settings of their own). Absent on cells planned before
   * the type was a dimension: those ran draft-simple.
   */
  specType?: string;
  /** The type's own settings by core/spec-types specSettingKey (`ngram-mod-n-match` → 24). */
  specSettings?: Record<string, number>;
  temperature: number;
  prompt: string;
  /** sha256 of the prompt text, hex. */
  promptHash: string;
  /**
   * The prompt's category in the prompt suite it came from (`code`, `chat`, ...; core/prompts). Carried for
   * the report's per-category tables; not part of the cell's identity (the prompt hash is).
   */
  category?: string;
  /** Index of the prompt in the manifest's prompt list (for reports). */
  promptIndex: number;
  nPredict: number;
  seed: number;
  /** 0-based repeat index. */
  repeat: number;
  /**
   * Baselines: the cellId of the speculative run this baseline runs beside (ABAB: each speculative run has a
   * baseline run of its own, right before it, that its paired speedup divides by). Part of the identity, so
   * the baselines of different pairs and K are distinct cells. Absent on speculative and parallel cells.
   */
  pairedWith?: string;
  /** Bench cells: llama-bench's repetitions and pp test. */
  bench?: BenchSettings;
  /** Parallel cells: sequences decoded at once, and total requests. */
  concurrency?: number;
  requests?: number;
  llama: LlamaSettings;
}

export interface Cell extends CellParams {
  /** Content hash of the canonical form of everything that defines the run (see core/ids.ts). */
  cellId: string;
}

/**
 * What makes cells shareable in one engine session (models loaded once). K, p_min and concurrency are the
 * cells' own: a llama-server shard runs one server configuration per block of its cells (core/plan).
 */
export interface ShardKey {
  engine: EngineName;
  target: ModelRef;
  /** Absent for a target's draftless speculation (n-gram, MTP) and its baselines. */
  draft?: ModelRef;
  llama: LlamaSettings;
}

export interface Shard {
  shardId: string;
  key: ShardKey;
  cells: Cell[];
  /** Planner's estimate of the shard's run time. */
  estimatedMs: number;
}
