// What one cell run measured. One definition, used by every engine, the store and the report;
// docs/metrics.md explains each field.
import { createHash } from "node:crypto";
import type { HostNoise, WarmupRecord } from "./measurement-protocol.js";

/** The statuses a cell result has, as a list for the checks at the process boundaries (core/wire). */
export const CELL_STATUSES = ["ok", "invalid", "failed"] as const;
export type CellStatus = (typeof CELL_STATUSES)[number];

/** Why a cell result must not be counted. Stored with the result; the wire keeps an unknown one as "error". */
export const INVALID_REASONS = [
  "speculation-not-engaged", // drafted = 0 on a speculative cell
  "output-truncated", // the tool's closing lines are missing
  "stopped-early", // fewer tokens than n_predict (EOS, context full)
  "greedy-mismatch", // temperature 0 speculative output differs from the baseline
  "out-of-memory",
  "vocab-mismatch",
  "unsupported-flag",
  "timeout",
  "crashed",
  "cancelled",
  "rejected-parameter",
  "error",
] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

export interface CellMetrics {
  /** Generated tokens (prompt excluded). */
  nDecoded: number;
  /** Decode time (prompt processing excluded), ms. */
  decodeMs: number;
  /** nDecoded / decode seconds. */
  decodeTps: number;
  nPrompt?: number;
  promptMs?: number;
  promptTps?: number;
  /** Speculative: draft tokens proposed, and accepted by the target. */
  nDrafted?: number;
  nAccept?: number;
  /** nAccept / nDrafted. */
  acceptRate?: number;
  /** acceptByPosition[i] = accepted / drafted at draft position i (0-based). */
  acceptByPosition?: number[];
  /** Drafts proposed: verification steps that carried a draft (llama-server's spec_decode_num_drafts). */
  nDrafts?: number;
  /** acceptedByPosition[i] = draft tokens accepted at position i, a count (accepted = their sum). */
  acceptedByPosition?: number[];
  /** Target forward passes during decode; tokensPerStep = nDecoded / targetSteps. */
  targetSteps?: number;
  tokensPerStep?: number;
  /** Time spent in the draft and in the target model, ms (for the theory's c = draft cost / target cost). */
  draftMs?: number;
  targetMs?: number;
  /** K used by the adaptive policy: mean over steps. */
  meanK?: number;
  /** Model load time of the load (server start, session, tool process) that ran the cell, ms. */
  loadMs?: number;
  /** Names that load: results with one id shared it, so distinct ids count a sweep's loads. */
  loadId?: string;
  /** Wall time of the cell including everything, ms. */
  wallMs: number;
  /** Parallel cells: aggregate tokens/s over all sequences, and per-sequence decode t/s. */
  aggregateTps?: number;
  perSequenceTps?: number[];
  /** Peak GPU memory during the cell, MiB, where a GPU exists. */
  peakVramMib?: number;
  /** Memory the engine measured for the cell: weights of the models it used plus their contexts (KV cache, compute buffers), MiB. */
  memoryMib?: number;
  /** sha256 of the generated token ids (comma-joined), hex: greedy-equivalence checks. */
  tokensSha256?: string;
  /** Generated text (trimmed to a few KB). */
  text?: string;
  /** The discarded warm-up generation of the load that ran the cell (core/measurement-protocol). */
  warmup?: WarmupRecord;
  /** Host noise during the cell and whether it ran under contention (core/measurement-protocol). */
  noise?: HostNoise;
  /**
   * llama-bench cells: llama-bench's own standard deviation over its repetitions of the generation t/s
   * (decodeTps is its mean) and of the pp t/s (promptTps is its mean).
   */
  decodeTpsSd?: number;
  promptTpsSd?: number;
}

/**
 * Every CellMetrics field, declared once, in the proto's field order: its snake_case name (the proto
 * field, the store column, `cell run --json` and `results export`), its type, whether a result always has
 * it and whether `results export` writes it. The store keeps each field in a column of its own
 * (cli/store/schema.ts; lists and nested records as JSON). test/unit/metric-fields.test.ts fails when the
 * proto, the store schema or a writer drifts from it.
 */
export const METRIC_FIELDS = [
  { key: "nDecoded", name: "n_decoded", type: "int", required: true, exported: true },
  { key: "decodeMs", name: "decode_ms", type: "real", required: true, exported: true },
  { key: "decodeTps", name: "decode_tps", type: "real", required: true, exported: true },
  { key: "nPrompt", name: "n_prompt", type: "int", required: false, exported: false },
  { key: "promptMs", name: "prompt_ms", type: "real", required: false, exported: false },
  { key: "promptTps", name: "prompt_tps", type: "real", required: false, exported: true },
  { key: "nDrafted", name: "n_drafted", type: "int", required: false, exported: true },
  { key: "nAccept", name: "n_accept", type: "int", required: false, exported: true },
  { key: "acceptRate", name: "accept_rate", type: "real", required: false, exported: true },
  { key: "acceptByPosition", name: "accept_by_position", type: "reals", required: false, exported: false },
  { key: "targetSteps", name: "target_steps", type: "int", required: false, exported: false },
  { key: "tokensPerStep", name: "tokens_per_step", type: "real", required: false, exported: true },
  { key: "draftMs", name: "draft_ms", type: "real", required: false, exported: false },
  { key: "targetMs", name: "target_ms", type: "real", required: false, exported: false },
  { key: "meanK", name: "mean_k", type: "real", required: false, exported: false },
  { key: "loadMs", name: "load_ms", type: "real", required: false, exported: false },
  { key: "wallMs", name: "wall_ms", type: "real", required: true, exported: true },
  { key: "aggregateTps", name: "aggregate_tps", type: "real", required: false, exported: true },
  { key: "perSequenceTps", name: "per_sequence_tps", type: "reals", required: false, exported: false },
  { key: "peakVramMib", name: "peak_vram_mib", type: "real", required: false, exported: true },
  { key: "memoryMib", name: "memory_mib", type: "real", required: false, exported: true },
  { key: "tokensSha256", name: "tokens_sha256", type: "text", required: false, exported: false },
  { key: "text", name: "text", type: "text", required: false, exported: false },
  { key: "loadId", name: "load_id", type: "text", required: false, exported: false },
  { key: "warmup", name: "warmup", type: "message", required: false, exported: false },
  { key: "noise", name: "noise", type: "message", required: false, exported: false },
  { key: "nDrafts", name: "n_drafts", type: "int", required: false, exported: false },
  {
    key: "acceptedByPosition",
    name: "accepted_by_position",
    type: "reals",
    required: false,
    exported: false,
  },
  { key: "decodeTpsSd", name: "decode_tps_sd", type: "real", required: false, exported: false },
  { key: "promptTpsSd", name: "prompt_tps_sd", type: "real", required: false, exported: false },
] as const satisfies ReadonlyArray<{
  key: keyof CellMetrics;
  name: string;
  /** `message`: a nested record, converted by the wire layer and written with snake_case keys. */
  type: "int" | "real" | "reals" | "text" | "message";
  required: boolean;
  exported: boolean;
}>;

export type MetricField = (typeof METRIC_FIELDS)[number];

/** A compile error here names a CellMetrics field missing from METRIC_FIELDS. */
const _everyFieldListed: Exclude<keyof CellMetrics, MetricField["key"]> extends never ? true : never = true;
void _everyFieldListed;

/** CellMetrics by snake_case name, absent fields left out (`cell run --json`). */
export type SnakeCaseMetrics = {
  [F in MetricField as F["required"] extends true ? F["name"] : never]: CellMetrics[F["key"]];
} & {
  [F in MetricField as F["required"] extends true ? never : F["name"]]?: F["type"] extends "message"
    ? Record<string, unknown>
    : Exclude<CellMetrics[F["key"]], undefined>;
};

export function toSnakeCaseMetrics(m: CellMetrics): SnakeCaseMetrics {
  const out: Record<string, unknown> = {};
  for (const f of METRIC_FIELDS) {
    const value = m[f.key];
    if (value === undefined) continue;
    out[f.name] = f.type === "message" ? snakeCaseKeys(value as object) : value;
  }
  return out as SnakeCaseMetrics;
}

function snakeCaseKeys(record: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v as unknown]),
  );
}

type ColumnOf<F extends MetricField> = F["type"] extends "text" ? string | null : number | null;

/** The metrics `results export` writes, by column name; null where not measured. */
export type ExportedMetrics = {
  [F in MetricField as F["exported"] extends true ? F["name"] : never]: ColumnOf<F>;
};

const EXPORTED_FIELDS = METRIC_FIELDS.filter((f) => f.exported);

function pickColumns(m: CellMetrics | undefined, fields: readonly MetricField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f.name] = m?.[f.key] ?? null;
  return out;
}

export function exportedMetrics(m: CellMetrics | undefined): ExportedMetrics {
  return pickColumns(m, EXPORTED_FIELDS) as ExportedMetrics;
}

export interface CellOutcome {
  status: CellStatus;
  invalidReason?: InvalidReason;
  /** Human-readable detail of the failure or invalidity. */
  message?: string;
  metrics?: CellMetrics;
  /** Last lines of stderr (failures), never secrets. */
  stderrTail?: string;
  /** The argv that ran (CLI engines), for the user to reproduce by hand. */
  command?: string[];
  /** Backend that actually ran, e.g. `cpu`, `cuda`, `llama.cpp b6100`. */
  backend?: string;
}

/** One result as published on SPECGRID_RESULTS and stored: keyed by (sweepId, cellId, hostId). */
export interface CellResult {
  sweepId: string;
  cellId: string;
  hostId: string;
  shardId: string;
  attempt: number;
  engine: string;
  outcome: CellOutcome;
  startedAt: string;
  finishedAt: string;
}

// Derived figures. Engines and parsers supply counts; every figure computed from counts is defined here,
// once (docs/metrics.md).

/**
 * nAccept / nDrafted. Undefined when nothing was drafted, and when a count is not a whole number (a
 * denormal such as 8e-323 read from a tool would otherwise turn the ratio into Infinity).
 */
export function acceptRate(nAccept: number, nDrafted: number): number | undefined {
  if (!Number.isInteger(nDrafted) || !Number.isInteger(nAccept) || nDrafted <= 0) return undefined;
  return nAccept / nDrafted;
}

/**
 * acceptByPosition from the counts by draft position: accepted[i] / drafted[i], through acceptRate.
 * Positions nothing reached are left out (drafts shorter than the longest end the list).
 */
export function acceptRateByPosition(accepted: readonly number[], drafted: readonly number[]): number[] {
  return drafted.flatMap((n, i) => {
    const rate = acceptRate(accepted[i] ?? 0, n);
    return rate === undefined ? [] : [rate];
  });
}

/**
 * Mean accepted length (Spec-Bench's τ, llama-server's "mean len"): tokens each draft's verification yields,
 * 1 + accepted / drafts. Undefined without a draft.
 */
export function meanAcceptedLength(nAccept: number, nDrafts: number): number | undefined {
  if (!Number.isInteger(nAccept) || !Number.isInteger(nDrafts) || nDrafts <= 0) return undefined;
  return 1 + nAccept / nDrafts;
}

/** Tokens each target forward pass yielded: nDecoded / targetSteps (1 for a baseline); undefined at 0 steps. */
export function tokensPerStep(nDecoded: number, targetSteps: number): number | undefined {
  return targetSteps > 0 ? nDecoded / targetSteps : undefined;
}

/** `tokensSha256`: sha256 of the comma-joined generated token ids, hex (greedy-equivalence checks). */
export function tokensSha256(tokens: readonly number[]): string {
  return createHash("sha256").update(tokens.join(",")).digest("hex");
}

/**
 * Mean over the runs of several groups, each given as its mean and run count (a group of n runs weighs n).
 * Undefined when no group has a run.
 */
export function pooledMean(groups: ReadonlyArray<{ mean: number; n: number }>): { mean?: number; n: number } {
  let n = 0;
  let sum = 0;
  for (const g of groups) {
    if (g.n === 0) continue;
    n += g.n;
    sum += g.mean * g.n;
  }
  return n === 0 ? { n } : { mean: sum / n, n };
}
