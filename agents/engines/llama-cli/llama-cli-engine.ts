// The llama.cpp CLI tools as an engine: one process per cell (llama-speculative, llama-speculative-simple,
// llama-completion, llama-parallel), argv from the probed capability map, no shell. A run whose log lost
// its tail at exit is run again a bounded number of times and never counted as it is; failures the tool
// names (out of memory, vocabulary, removed flag) are final on the first try. Each cell loads its models in
// its own process, so a warm-up inside it is impossible: the session runs one short, discarded process of
// its first planned cell at open (page cache, CPU and GPU clocks warm), carried by each result.
import { randomBytes } from "node:crypto";
import type { Cell } from "../../../core/cell.js";
import { toolForCell } from "../../../core/engines.js";
import { ConfigError, RejectedParameterError } from "../../../core/errors.js";
import { WARMUP_TOKENS, type WarmupRecord } from "../../../core/measurement-protocol.js";
import type { CellOutcome } from "../../../core/metrics.js";
import type { LlamaBuildProbe } from "../../probe/probe-llama-build.js";
import type { ToolCapabilities } from "../../probe/tool-capabilities.js";
import type { VramSampler } from "../../probe/vram-sampler.js";
import { runProcess } from "../../process/run-process.js";
import type { Engine, EngineSession, EngineSessionOptions, ResolvedModels } from "../engine.js";
import { buildCliArgv, type LlamaCliTool } from "./build-cli-argv.js";
import { readCliRun } from "./read-cli-run.js";

export interface LlamaCliEngineOptions {
  tool: LlamaCliTool;
  /** Probe of the llama.cpp build directory (probeLlamaBuild). */
  build: LlamaBuildProbe;
  /** Per-cell wall-clock limit; the process group is killed past it. @default 600000 */
  timeoutMs?: number;
  /** Extra runs allowed for a cell whose output was truncated at exit. @default 2 */
  maxTruncatedReruns?: number;
  /** Starts a GPU memory sampler around each run; undefined on hosts without a GPU. */
  startVramSampler?: () => VramSampler;
  /** Environment of the tool. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export class LlamaCliEngine implements Engine {
  readonly name: LlamaCliTool;

  constructor(private readonly opts: LlamaCliEngineOptions) {
    this.name = opts.tool;
  }

  describe(): Promise<string> {
    const v = this.opts.build.version;
    const build = v
      ? `llama.cpp ${v.buildNumber !== undefined ? `b${v.buildNumber}` : v.version}${v.commit ? ` (${v.commit})` : ""}`
      : "llama.cpp (unknown build)";
    return Promise.resolve(`${build} ${this.opts.tool}`);
  }

  openSession(session: EngineSessionOptions): Promise<EngineSession> {
    const probe = this.opts.build.tools[this.opts.tool];
    if (!probe) {
      return Promise.reject(
        new ConfigError(
          `${this.opts.tool} is not in the llama.cpp build directory ${this.opts.build.binDir ?? "(none configured)"}; build it or pick another engine`,
          { tool: this.opts.tool },
        ),
      );
    }
    const opened = new LlamaCliSession(this.opts, probe.path, probe.capabilities, session, this.describe());
    return opened.warmUp().then(() => opened);
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

class LlamaCliSession implements EngineSession {
  // Each cell loads its models in its own process; the per-cell load time is in its metrics.
  readonly loadMs = 0;
  readonly order: readonly Cell[];
  private readonly models: ResolvedModels;
  private closed = false;
  private warmup: WarmupRecord | undefined;

  constructor(
    private readonly opts: LlamaCliEngineOptions,
    private readonly binPath: string,
    private readonly caps: ToolCapabilities,
    private readonly session: EngineSessionOptions,
    private readonly backend: Promise<string>,
  ) {
    this.order = session.cells ?? [];
    this.models = session.models;
  }

  /** The tool a cell runs on (core/engines.ts toolForCell): the engine's own, or another of its build. */
  private toolFor(cell: Cell): {
    tool: LlamaCliTool;
    binPath: string;
    caps: ToolCapabilities;
    accepted?: readonly string[];
  } {
    const own = this.opts.tool;
    const tool = (toolForCell(own, cell.kind) ?? own) as LlamaCliTool;
    const probe = this.opts.build.tools[tool];
    if (tool === own) {
      return {
        tool,
        binPath: this.binPath,
        caps: this.caps,
        ...(probe === undefined ? {} : { accepted: probe.acceptedFlags }),
      };
    }
    if (!probe) {
      throw new RejectedParameterError(
        `${cell.kind} cells on engine ${own} run ${tool}, which is not in the llama.cpp build directory ` +
          `${this.opts.build.binDir ?? "(none configured)"}; build it ('specgrid llama build' builds all tools)`,
        { cellId: cell.cellId, tool },
      );
    }
    return { tool, binPath: probe.path, caps: probe.capabilities, accepted: probe.acceptedFlags };
  }

  private argvFor(cell: Cell): { tool: LlamaCliTool; argv: string[] } {
    const { tool, binPath, caps, accepted } = this.toolFor(cell);
    return { tool, argv: buildCliArgv(tool, binPath, caps, cell, this.models, accepted) };
  }

  /** Times a run whose closing lines were lost is run again (warm-up and cells alike). */
  private get reruns(): number {
    return this.opts.maxTruncatedReruns ?? 2;
  }

  /** One process of a llama.cpp tool, under the engine's time limit and environment. */
  private runTool(argv: string[], signal: AbortSignal | undefined): ReturnType<typeof runProcess> {
    return runProcess(argv, {
      timeoutMs: this.opts.timeoutMs ?? 600_000,
      ...(signal ? { signal } : {}),
      ...(this.opts.env ? { env: this.opts.env } : {}),
    });
  }

  /** One short run of the first planned cell, discarded. */
  async warmUp(): Promise<void> {
    const first = this.order[0];
    if (first === undefined) return;
    const cell: Cell = { ...first, nPredict: Math.min(WARMUP_TOKENS, first.nPredict) };
    const log = this.session.logger;
    let argv: string[];
    let tool: LlamaCliTool;
    try {
      ({ tool, argv } = this.argvFor(cell));
    } catch (err) {
      if (err instanceof RejectedParameterError) return; // the cell fails on its own when it runs
      throw err;
    }
    // A run whose closing lines were lost at exit is run again, as a cell's is: its figures (the tokens
    // decoded among them) are missing, and a warm-up record without them is no record of a warm-up.
    for (let attempt = 0; attempt <= this.reruns; attempt++) {
      const run = await this.runTool(argv, this.session.signal);
      const verdict = readCliRun(tool, cell, run);
      if (verdict.kind === "truncated") continue;
      const m = verdict.outcome.status === "ok" ? verdict.outcome.metrics : undefined;
      if (m?.nDecoded === undefined) {
        log?.warn(
          { tool, exitCode: run.exitCode, message: verdict.outcome.message },
          "warm-up run failed: the first cell runs cold",
        );
        return;
      }
      this.warmup = { nDecoded: m.nDecoded, wallMs: m.wallMs, decodeTps: m.decodeTps };
      log?.info({ tool, ...this.warmup }, "warm-up generation run and discarded");
      return;
    }
    log?.warn(
      { tool, runs: this.reruns + 1 },
      "warm-up output truncated on every run: the first cell runs cold",
    );
  }

  async runCell(cell: Cell, signal?: AbortSignal): Promise<CellOutcome> {
    const backend = await this.backend;
    if (this.closed)
      return { status: "failed", invalidReason: "error", message: "the engine session is closed", backend };
    let argv: string[];
    let tool: LlamaCliTool;
    try {
      ({ tool, argv } = this.argvFor(cell));
    } catch (err) {
      if (!(err instanceof RejectedParameterError)) throw err;
      return { status: "failed", invalidReason: "rejected-parameter", message: err.message, backend };
    }
    let last: CellOutcome | undefined;
    for (let attempt = 0; attempt <= this.reruns; attempt++) {
      const sampler = this.opts.startVramSampler?.();
      const run = await this.runTool(argv, signal);
      const vram = await sampler?.stop();
      const verdict = readCliRun(tool, cell, run);
      last = { ...verdict.outcome, backend };
      if (last.metrics) {
        // every run is a process of its own, hence a load of its own
        last.metrics.loadId = randomBytes(6).toString("hex");
        if (this.warmup !== undefined) last.metrics.warmup = this.warmup;
        if (vram?.peakVramMib !== undefined) last.metrics.peakVramMib = vram.peakVramMib;
      }
      this.session.logger?.debug(
        { tool, cell: cell.cellId, loadMs: last.metrics?.loadMs, status: last.status },
        "llama.cpp tool ran",
      );
      if (verdict.kind === "done") return last;
    }
    return {
      ...(last as CellOutcome),
      message: `${(last as CellOutcome).message ?? ""} (still truncated after ${this.reruns + 1} runs)`,
    };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
