// The engine interface: every way of running llama.cpp (llama-server, the CLI tools, in-process through
// node-llama-cpp) behind one contract, exercised by one shared conformance suite (test/support).
import type { Logger } from "pino";
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
  /**
   * The cells the session will be asked to run, in planned order (a shard's pending cells). An engine that
   * starts a process per configuration starts each once for them and stops it when none of the rest needs
   * it; without the list it cannot know and keeps what it started while there is room.
   */
  cells?: readonly Cell[];
  /** Where the session says what it loads and stops, with configuration and load time. */
  logger?: Logger;
  signal?: AbortSignal;
}

/** One loaded configuration (models, server processes); runs many cells, closes once. */
export interface EngineSession {
  /** Model load time of this session's first load, ms (each result carries its own load's time). */
  readonly loadMs: number;
  /**
   * The planned cells in the order to run them: the plan's own, or regrouped where the engine must (two
   * servers that do not fit in memory together run their cells one block after the other). Absent: as
   * planned.
   */
  readonly order?: readonly Cell[];
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
