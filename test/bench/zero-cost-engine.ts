// BENCHMARK ONLY: an engine that does no work, so the pipeline benchmark measures specgrid and not llama.cpp.
// It records when each runCell was entered and left and when the session closed, which gives the agent's
// time outside the engine per cell: from the moment runCell returned until the agent came back with the
// next cell (or closed the session after the last one). That interval holds everything the agent does per
// cell: building and encoding the result, the JetStream publish and its ack, the done-marker put, logging.
import type { Cell } from "../../core/cell.js";
import type { CellOutcome } from "../../core/metrics.js";
import type { Engine, EngineSession, EngineSessionOptions } from "../../agents/engines/engine.js";

export interface ZeroCostTimings {
  /** Per cell: ms between runCell returning and the agent's next call (next runCell or close). */
  outsideEngineMs: number[];
  /** Per cell: ms spent inside runCell (close to zero by construction; measured all the same). */
  insideEngineMs: number[];
  /** Per shard after the first: ms from closing one session to opening the next (pull, ack, done checks). */
  betweenSessionsMs: number[];
  sessions: number;
  cells: number;
}

class ZeroCostSession implements EngineSession {
  readonly loadMs = 0;
  private lastExit: number | undefined;

  constructor(
    private readonly timings: ZeroCostTimings,
    private readonly onClose: () => void,
  ) {}

  runCell(cell: Cell): Promise<CellOutcome> {
    const enter = performance.now();
    if (this.lastExit !== undefined) this.timings.outsideEngineMs.push(enter - this.lastExit);
    const nDecoded = cell.nPredict;
    const speculative = cell.kind === "speculative";
    const outcome: CellOutcome = {
      status: "ok",
      backend: "zero-cost",
      // the figures are placeholders that satisfy the store's validity rules; they are never reported
      metrics: {
        nDecoded,
        decodeMs: 1,
        decodeTps: nDecoded * 1000,
        wallMs: 1,
        ...(speculative ? { nDrafted: nDecoded, nAccept: nDecoded, acceptRate: 1 } : {}),
      },
    };
    this.timings.cells++;
    this.lastExit = performance.now();
    this.timings.insideEngineMs.push(this.lastExit - enter);
    return Promise.resolve(outcome);
  }

  close(): Promise<void> {
    if (this.lastExit !== undefined) this.timings.outsideEngineMs.push(performance.now() - this.lastExit);
    this.lastExit = undefined;
    this.onClose();
    return Promise.resolve();
  }
}

export class ZeroCostEngine implements Engine {
  readonly name = "zero-cost";
  readonly timings: ZeroCostTimings = {
    outsideEngineMs: [],
    insideEngineMs: [],
    betweenSessionsMs: [],
    sessions: 0,
    cells: 0,
  };
  private lastClose: number | undefined;

  describe(): Promise<string> {
    return Promise.resolve("zero-cost benchmark engine (no inference)");
  }

  openSession(_opts: EngineSessionOptions): Promise<EngineSession> {
    this.timings.sessions++;
    if (this.lastClose !== undefined) this.timings.betweenSessionsMs.push(performance.now() - this.lastClose);
    return Promise.resolve(new ZeroCostSession(this.timings, () => (this.lastClose = performance.now())));
  }

  /** Starts a new measurement (between benchmark runs). */
  resetTimings(): void {
    this.timings.outsideEngineMs.length = 0;
    this.timings.insideEngineMs.length = 0;
    this.timings.betweenSessionsMs.length = 0;
    this.lastClose = undefined;
    this.timings.sessions = 0;
    this.timings.cells = 0;
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}
