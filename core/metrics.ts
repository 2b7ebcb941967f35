// What one cell run measured. One definition, used by every engine, the store and the report;
// docs/metrics.md explains each field.

export type CellStatus = "ok" | "invalid" | "failed";

/** Why a cell result must not be counted. Stored with the result. */
export type InvalidReason =
  | "speculation-not-engaged" // drafted = 0 on a speculative cell
  | "output-truncated" // the tool's closing lines are missing
  | "stopped-early" // fewer tokens than n_predict (EOS, context full)
  | "greedy-mismatch" // temperature 0 speculative output differs from the baseline
  | "out-of-memory"
  | "vocab-mismatch"
  | "unsupported-flag"
  | "timeout"
  | "crashed"
  | "cancelled"
  | "rejected-parameter"
  | "error";

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
