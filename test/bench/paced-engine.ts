// BENCHMARK ONLY: an engine whose cells take time without computing anything, for the fleet benchmark. Each
// cell's base time is drawn from a log-normal distribution keyed by its cell id (so every host would draw the
// same base for the same cell), and the host runs it `slowdown` times slower (a smaller GPU). A mean of 0 is
// the zero-cost engine. The session records when it was open (the agent was busy), so the benchmark can
// tell idle time from work.
import { createHash } from "node:crypto";
import type { Cell } from "../../core/cell.js";
import type { CellOutcome } from "../../core/metrics.js";
import type { Engine, EngineSession, EngineSessionOptions } from "../../agents/engines/engine.js";

/** Spread of the log-normal cell times (σ of ln t): most cells within about 0.5× to 2× the mean. */
const SIGMA = 0.5;

/** Epoch milliseconds with sub-millisecond precision, comparable between processes on one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A cell's base time (ms on a host of slowdown 1): log-normal with the given mean, fixed by the cell id. */
export function baseCellMs(cellId: string, meanMs: number): number {
  if (meanMs <= 0) return 0;
  const h = createHash("sha256").update(cellId).digest();
  // two uniforms in (0, 1) from the hash, then Box-Muller
  const u1 = (h.readUInt32BE(0) + 1) / 2 ** 32;
  const u2 = h.readUInt32BE(4) / 2 ** 32;
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  const mu = Math.log(meanMs) - (SIGMA * SIGMA) / 2;
  return Math.exp(mu + SIGMA * z);
}

export interface PacedTimings {
  /** [open, close] epoch ms of every session: the agent held a shard. */
  sessions: [number, number][];
  cells: number;
  /** Σ base ms of the cells this engine ran (before the slowdown). */
  baseMs: number;
  /**
   * Per cell after a session's first: ms from one runCell returning to the next being called, i.e. the
   * agent's own work per cell (result publish and its ack, the done-mark, host-noise sampling, logging).
   */
  betweenCellsMs: number[];
}

export interface PacedEngineOptions {
  /** Mean base cell time, ms; 0: no wait at all. */
  meanCellMs: number;
  /** How many times slower than the base this host runs. @default 1 */
  slowdown?: number;
  /** Model load time per session, ms (base, before the slowdown). @default 0 */
  loadMs?: number;
}

class PacedSession implements EngineSession {
  readonly loadMs: number;
  private readonly openedAt = epochMs();
  private lastReturn: number | undefined;

  constructor(
    private readonly o: Required<PacedEngineOptions>,
    private readonly timings: PacedTimings,
  ) {
    this.loadMs = o.loadMs * o.slowdown;
  }

  async runCell(cell: Cell, signal?: AbortSignal): Promise<CellOutcome> {
    if (this.lastReturn !== undefined) this.timings.betweenCellsMs.push(performance.now() - this.lastReturn);
    const base = baseCellMs(cell.cellId, this.o.meanCellMs);
    const ms = base * this.o.slowdown;
    if (ms > 0) await sleepUnlessAborted(ms, signal);
    this.timings.cells++;
    this.timings.baseMs += base;
    const nDecoded = cell.nPredict;
    const wallMs = Math.max(ms, 0.001);
    this.lastReturn = performance.now();
    return {
      status: "ok",
      backend: "paced",
      // placeholders that satisfy the store's validity rules; the benchmark reports none of them
      metrics: {
        nDecoded,
        decodeMs: wallMs,
        decodeTps: (nDecoded * 1000) / wallMs,
        wallMs,
        ...(cell.kind === "speculative" ? { nDrafted: nDecoded, nAccept: nDecoded, acceptRate: 1 } : {}),
      },
    };
  }

  close(): Promise<void> {
    this.timings.sessions.push([this.openedAt, epochMs()]);
    return Promise.resolve();
  }
}

function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export class PacedEngine implements Engine {
  readonly name = "paced";
  readonly timings: PacedTimings = { sessions: [], cells: 0, baseMs: 0, betweenCellsMs: [] };
  private readonly o: Required<PacedEngineOptions>;

  constructor(o: PacedEngineOptions) {
    this.o = { slowdown: 1, loadMs: 0, ...o };
  }

  describe(): Promise<string> {
    return Promise.resolve(`paced benchmark engine (mean ${this.o.meanCellMs} ms × ${this.o.slowdown})`);
  }

  async openSession(_opts: EngineSessionOptions): Promise<EngineSession> {
    const session = new PacedSession(this.o, this.timings);
    if (session.loadMs > 0) await new Promise((r) => setTimeout(r, session.loadMs));
    return session;
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}
