// The resolved manifest: the YAML's meaning in camelCase, defaults applied, prompt files read. This is what
// plan, the coordinator and the store work from; the YAML text itself travels beside it as `sourceText`.
import type { AdaptiveKSettings, LlamaSettings } from "../cell.js";
import type { ManifestEngine } from "../engines.js";

export type { ManifestEngine };

/** A model by file name on the agents' model dirs and/or pinned by sha256 (at least one of the two). */
export interface ManifestModel {
  file?: string;
  sha256?: string;
}

export interface ManifestPair {
  /** Names of entries in `models`. */
  target: string;
  /**
   * Absent for a target that runs only draftless speculation types (n-gram, MTP); the manifest check refuses
   * a type or parallel cell that needs a draft on such a pair.
   */
  draft?: string;
}

export interface ManifestPrompt {
  text: string;
  /** Where it came from: `inline` or the prompt file's path as written in the manifest. */
  source: string;
  /** 1-based line in the prompt file. */
  line?: number;
  /** Task category (`code`, `chat`, ...): from a prompt suite, or `{ text, category }` in the manifest. */
  category?: string;
}

/** Draft tokens per step: a fixed K, or the in-process engine's adaptive controller. */
export type ManifestK = number | "adaptive";

export interface ManifestSweep {
  /** Speculation types (`--spec-type` values, core/spec-types.ts); [draft-simple] unless the manifest lists some. */
  specType: string[];
  /** Per-type settings as dimensions: type → setting → values, spelled as the flags (`ngram-mod` → `n-match`). */
  specSettings: Record<string, Record<string, number[]>>;
  /** Empty when the manifest lists no k (allowed when every spec_type sizes its own drafts). */
  k: ManifestK[];
  temperature: number[];
  pMin: number[];
  /**
   * Tree drafting (engine llama-speculative): draft sequences per step (`-np`, tree branches) and, for
   * nParallel > 1, the probability above which a branch splits (`--spec-draft-p-split`; [0.1], llama.cpp's
   * default, when only n_parallel is listed). Absent when the manifest lists no n_parallel.
   */
  tree?: { nParallel: number[]; pSplit: number[] };
  nPredict: number;
  repeats: number;
  /** Base seed; a cell's seed is seed + repeat index. */
  seed: number;
  /**
   * Adaptive repeats (manifest `sweep.precision`): once the planned repeats are done, groups whose 95%
   * interval is wider than ±relCi of the estimate get one more repeat, round after round, up to maxRepeats;
   * a group still wider at the cap is unstable and the report bases no answer on it.
   */
  precision?: { relCi: number; maxRepeats: number };
}

/** A manifest's `adaptive:` settings, defaults filled in (core/cell.ts ADAPTIVE_K_DEFAULTS). */
export type ManifestAdaptive = AdaptiveKSettings;

export interface ManifestParallel {
  concurrency: number[];
  /** Total requests per parallel cell. */
  requests: number;
  /** Run each concurrency without (false) and with (true) the pair's draft. */
  draft: boolean[];
  /** K for parallel cells with a draft; default: the first fixed K of sweep.k. */
  k: number;
  /** Default: the first sweep temperature. */
  temperature: number;
}

export type ManifestPlacement = "spread" | "every-host" | { hosts?: string[]; gpu?: string };

export interface ManifestEstimate {
  /** Assumed baseline decode rate for run-time estimates, tokens/s. */
  decodeTps: number;
  /** Speculative decode rate = decodeTps × this (1 assumes no speedup, the cautious guess). */
  speculativeFactor: number;
  /** Assumed model load time per engine process, ms. */
  loadMs: number;
}

export interface Manifest {
  name: string;
  description?: string;
  /** The manifest's path (as given), for messages. */
  file: string;
  /** The YAML as submitted, for the record of the sweep. */
  sourceText: string;
  models: Record<string, ManifestModel>;
  pairs: ManifestPair[];
  prompts: ManifestPrompt[];
  sweep: ManifestSweep;
  /** Present when sweep.k contains "adaptive" (defaults filled in). */
  adaptive?: ManifestAdaptive;
  baseline: boolean;
  /**
   * llama-bench baselines of every target (manifest `llama_bench:`), beside the sweep's own baselines:
   * `llama-bench -p 0 -n nPredict -r repetitions -o json` once per target and repeat, with a pp test of
   * nPrompt tokens when given.
   */
  llamaBench?: { repetitions: number; nPrompt?: number };
  parallel?: ManifestParallel;
  placement: ManifestPlacement;
  engine: ManifestEngine;
  llama: LlamaSettings;
  estimate: ManifestEstimate;
}
