// What goes into the store and what comes back out, in the project's camelCase shapes (the proto types
// stay at the wire; host-snapshot-from-facts converts HostFacts once).
import type { Cell } from "../../core/cell.js";
import type { CellMetrics, CellStatus } from "../../core/metrics.js";

export interface SweepRecord {
  sweepId: string;
  name?: string;
  /** running | done | failed | cancelled; `unknown` when only results have been seen. */
  state: string;
  /** The manifest as the user submitted it. */
  manifestYaml?: string;
  /** The manifest after resolution (models pinned by sha256, prompts inlined): what reproduce resubmits. */
  manifestResolved?: unknown;
  submittedAt?: string;
  finishedAt?: string;
}

export interface GpuSnapshot {
  index: number;
  name: string;
  uuid?: string;
  memoryTotalMib?: number;
  driver?: string;
  computeCapability?: string;
}

export interface HostSnapshot {
  hostId: string;
  hostname?: string;
  os?: string;
  cpu?: string;
  cpuCores?: number;
  memoryMib?: number;
  gpus: GpuSnapshot[];
  driver?: string;
  cudaVersion?: string;
  llamaVersion?: string;
  llamaBuildNumber?: number;
  llamaCommit?: string;
  agentVersion?: string;
  engineBackend?: string;
  labels: Record<string, string>;
  /** Everything else the agent reported, as it came. */
  facts?: unknown;
}

export interface ModelRecord {
  sha256: string;
  name: string;
  file?: string;
  bytes?: number;
  /** GGUF facts (architecture, layers, vocabulary size, ...). */
  facts?: unknown;
}

/** Outcome of one ingest call. */
export interface IngestCounts {
  inserted: number;
  updated: number;
  /** Results already stored (redelivery), or worse than what is stored (a failed retry of a valid cell). */
  duplicates: number;
}

/** A stored result joined with its cell (the cell is absent when the sweep's cells were never stored). */
export interface StoredResult {
  sweepId: string;
  cellId: string;
  hostId: string;
  shardId: string;
  status: CellStatus;
  invalidReason?: string;
  message?: string;
  attempt: number;
  engine: string;
  backend?: string;
  startedAt: string;
  finishedAt: string;
  metrics?: CellMetrics;
  stderrTail?: string;
  cell?: Cell;
}

export interface SweepSummary {
  sweepId: string;
  name?: string;
  state: string;
  submittedAt?: string;
  hosts: number;
  cells: number;
  results: number;
  ok: number;
  invalid: number;
  failed: number;
}
