// The engine interface: every way of running llama.cpp (llama-server, the CLI tools, in-process through
// node-llama-cpp) behind one contract, exercised by one shared conformance suite (test/support).
import type { Cell, ShardKey } from "../../core/cell.js";
import type { CellOutcome } from "../../core/metrics.js";

/** Local files the agent resolved for a shard's models (from sha256 against its own inventory). */
export interface ResolvedModels {
  targetPath: string;
  draftPath?: string;
}

export interface EngineSessionOptions {
  key: ShardKey;
  models: ResolvedModels;
  signal?: AbortSignal;
}

/** One loaded configuration (models, server process); runs many cells, closes once. */
export interface EngineSession {
  /** Model load time of this session, ms (reported apart from decode). */
  readonly loadMs: number;
  /** Run one cell. Failures are outcomes (status failed/invalid), not throws, unless the session is unusable. */
  runCell(cell: Cell, signal?: AbortSignal): Promise<CellOutcome>;
  close(): Promise<void>;
}

export interface Engine {
  readonly name: string;
  /** Backend description, e.g. "node-llama-cpp 3.21.1 cpu" or "llama.cpp b6100 (cuda)". */
  describe(): Promise<string>;
  openSession(opts: EngineSessionOptions): Promise<EngineSession>;
  /** Release what the engine holds (llama bindings, probes). */
  dispose(): Promise<void>;
}
