// llama-bench as an engine for baselines (manifest `llama_bench:`): one llama-bench process per cell,
// `-p 0 -n N -r R -o json`, stored with llama-bench's own mean and standard deviation over its repetitions,
// so a host's baseline reads against the community's llama-bench tables. It runs beside the sweep's
// llama.cpp engine on the same agents (core/engines.ts `companion`), from the same build. llama-bench runs
// a warm-up repetition of its own before it measures, so the session adds none. Threads: the cell's
// llama.threads, never more than the cores other processes leave idle when the cell starts (llama-bench
// defaults to every core, which on a shared host measures the contention, not the model).
import { randomBytes } from "node:crypto";
import os from "node:os";
import type { Cell } from "../../../core/cell.js";
import { ConfigError, RejectedParameterError } from "../../../core/errors.js";
import type { CellOutcome } from "../../../core/metrics.js";
import { freeCores, probeIdleCores, type IdleCores } from "../../probe/probe-idle-cores.js";
import type { LlamaBuildProbe } from "../../probe/probe-llama-build.js";
import { runProcess } from "../../process/run-process.js";
import type { Engine, EngineSession, EngineSessionOptions } from "../engine.js";
import { buildBenchArgv, type BenchTool } from "./build-bench-argv.js";
import { readBenchRun } from "./read-bench-run.js";

export interface LlamaBenchEngineOptions {
  /** Probe of the llama.cpp build directory (probeLlamaBuild). */
  build: LlamaBuildProbe;
  /** Per-cell wall-clock limit; the process group is killed past it. @default 600000 */
  timeoutMs?: number;
  /** Measures the idle cores before each cell. @default probeIdleCores over 250 ms */
  idleCores?: () => Promise<IdleCores>;
  /** Environment of the tool. @default process.env */
  env?: NodeJS.ProcessEnv;
}

const IDLE_SAMPLE_MS = 250;

/** Threads for a cell: its llama.threads (else every core), capped at the whole cores now idle, at least 1. */
export function benchThreads(cell: Cell, idle: IdleCores): number {
  const cap = idle.measured ? Math.max(1, freeCores(idle)) : 1;
  return Math.min(cell.llama.threads ?? os.availableParallelism(), cap);
}

export class LlamaBenchEngine implements Engine {
  readonly name = "llama-bench";

  constructor(private readonly opts: LlamaBenchEngineOptions) {}

  describe(): Promise<string> {
    const v = this.opts.build.version;
    const build = v
      ? `llama.cpp ${v.buildNumber !== undefined ? `b${v.buildNumber}` : v.version}${v.commit ? ` (${v.commit})` : ""}`
      : "llama.cpp";
    return Promise.resolve(`${build} llama-bench`);
  }

  openSession(session: EngineSessionOptions): Promise<EngineSession> {
    const probe = this.opts.build.tools["llama-bench"];
    if (!probe) {
      return Promise.reject(
        new ConfigError(
          `llama-bench is not in the llama.cpp build directory ${this.opts.build.binDir ?? "(none configured)"}; build it ('specgrid llama build' builds it) or drop llama_bench from the manifest`,
          { tool: "llama-bench" },
        ),
      );
    }
    return Promise.resolve(new LlamaBenchSession(this.opts, probe, session, this.describe()));
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

class LlamaBenchSession implements EngineSession {
  // each cell loads the target in its own process; llama-bench does not report the load time
  readonly loadMs = 0;
  private closed = false;

  constructor(
    private readonly opts: LlamaBenchEngineOptions,
    private readonly tool: BenchTool,
    private readonly session: EngineSessionOptions,
    private readonly backend: Promise<string>,
  ) {}

  async runCell(cell: Cell, signal?: AbortSignal): Promise<CellOutcome> {
    const backend = await this.backend;
    if (this.closed)
      return { status: "failed", invalidReason: "error", message: "the engine session is closed", backend };
    const idle = await (this.opts.idleCores ?? (() => probeIdleCores(IDLE_SAMPLE_MS)))();
    const threads = benchThreads(cell, idle);
    let argv: string[];
    try {
      argv = buildBenchArgv(this.tool, cell, this.session.models.targetPath, threads);
    } catch (err) {
      if (!(err instanceof RejectedParameterError)) throw err;
      return { status: "failed", invalidReason: "rejected-parameter", message: err.message, backend };
    }
    const run = await runProcess(argv, {
      timeoutMs: this.opts.timeoutMs ?? 600_000,
      ...(signal ? { signal } : {}),
      ...(this.opts.env ? { env: this.opts.env } : {}),
    });
    const outcome: CellOutcome = { ...readBenchRun(cell, run), backend };
    // every run is a process of its own, hence a load of its own
    if (outcome.metrics) outcome.metrics.loadId = randomBytes(6).toString("hex");
    this.session.logger?.debug(
      { tool: "llama-bench", cell: cell.cellId, threads, status: outcome.status },
      "llama-bench ran",
    );
    return outcome;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
