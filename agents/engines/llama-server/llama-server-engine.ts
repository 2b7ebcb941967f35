// llama-server as an engine. A session starts servers lazily, one per (draft, K, p_min, slots) that its
// cells need, keeps them while the shard runs (baseline and speculative cells interleave) and stops them
// as process groups on close. A server that falls back to no speculation is caught at start (/slots) and
// per cell (no draft_n), and its cells are invalid with the reason stored.
import type { Cell } from "../../../core/cell.js";
import { ConfigError, RejectedParameterError, RunFailedError } from "../../../core/errors.js";
import type { CellOutcome, InvalidReason } from "../../../core/metrics.js";
import type { LlamaBuildProbe, LlamaToolProbe } from "../../probe/probe-llama-build.js";
import type { VramSampler } from "../../probe/vram-sampler.js";
import type { Engine, EngineSession, EngineSessionOptions } from "../engine.js";
import { LlamaServerProcess, type SpeculationCheck } from "./llama-server-process.js";
import { sendServerCell, serverCellOutcome } from "./run-server-cell.js";
import { buildServerArgv, serverConfigFor, serverConfigKey, type ServerConfig } from "./server-config.js";

export interface LlamaServerEngineOptions {
  build: LlamaBuildProbe;
  /** Longest model load (until /health is 200). @default 600000 */
  loadTimeoutMs?: number;
  /** Longest single cell (all its requests). @default 600000 */
  cellTimeoutMs?: number;
  /** Servers kept running at once in a session; the least recently used stops first. @default 2 */
  maxServers?: number;
  startVramSampler?: () => VramSampler;
  env?: NodeJS.ProcessEnv;
}

interface RunningServer {
  server: LlamaServerProcess;
  speculation: SpeculationCheck;
  argv: string[];
  lastUsed: number;
}

export class LlamaServerEngine implements Engine {
  readonly name = "llama-server";

  constructor(private readonly opts: LlamaServerEngineOptions) {}

  describe(): Promise<string> {
    const v = this.opts.build.version;
    const build = v
      ? `llama.cpp ${v.buildNumber !== undefined ? `b${v.buildNumber}` : v.version}${v.commit ? ` (${v.commit})` : ""}`
      : "llama.cpp (unknown build)";
    return Promise.resolve(`${build} llama-server`);
  }

  async openSession(session: EngineSessionOptions): Promise<EngineSession> {
    const probe = this.opts.build.tools["llama-server"];
    if (!probe) {
      throw new ConfigError(
        `llama-server is not in the llama.cpp build directory ${this.opts.build.binDir ?? "(none configured)"}; build it or pick another engine`,
        { tool: "llama-server" },
      );
    }
    const opened = new LlamaServerSession(this.opts, probe, session, await this.describe());
    await opened.startKeyServer();
    return opened;
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

class LlamaServerSession implements EngineSession {
  private readonly servers = new Map<string, RunningServer>();
  private firstLoadMs: number | undefined;
  private closed = false;

  constructor(
    private readonly opts: LlamaServerEngineOptions,
    private readonly probe: LlamaToolProbe,
    private readonly session: EngineSessionOptions,
    private readonly backend: string,
  ) {}

  get loadMs(): number {
    return this.firstLoadMs ?? 0;
  }

  /**
   * The shard key names the server most of its cells need (pair, K, p_min, slots): start it with the
   * session so its load time is the session's. Other servers (the baseline one) start on first use.
   */
  async startKeyServer(): Promise<void> {
    const key = this.session.key;
    if (key.k !== undefined && key.k.kind !== "fixed") return;
    const draft = key.draft !== undefined && this.session.models.draftPath !== undefined;
    const cfg: ServerConfig = draft
      ? { draft, k: key.k?.k ?? 3, pMin: key.pMin ?? 0, slots: key.concurrency ?? 1, llama: key.llama }
      : { draft, slots: key.concurrency ?? 1, llama: key.llama };
    if (draft && key.k === undefined) return;
    await this.serverFor(cfg, this.session.signal);
  }

  private async serverFor(cfg: ServerConfig, signal?: AbortSignal): Promise<RunningServer> {
    const key = serverConfigKey(cfg);
    const existing = this.servers.get(key);
    if (existing?.server.running()) {
      existing.lastUsed = performance.now();
      return existing;
    }
    this.servers.delete(key);
    while (this.servers.size >= (this.opts.maxServers ?? 2)) {
      const [oldKey, oldest] = [...this.servers.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0]!;
      this.servers.delete(oldKey);
      await oldest.server.stop();
    }
    let argv: string[] = [];
    const server = await LlamaServerProcess.start({
      argvFor: (port) =>
        (argv = buildServerArgv(
          this.probe.path,
          this.probe.capabilities,
          this.probe.acceptedFlags,
          cfg,
          this.session.models,
          port,
        )),
      loadTimeoutMs: this.opts.loadTimeoutMs ?? 600_000,
      ...(this.opts.env ? { env: this.opts.env } : {}),
      ...(signal ? { signal } : {}),
    });
    this.firstLoadMs ??= server.loadMs;
    const speculation: SpeculationCheck = cfg.draft
      ? await server.checkSpeculation()
      : { engaged: undefined, detail: "baseline server (no draft)" };
    const running = { server, speculation, argv, lastUsed: performance.now() };
    this.servers.set(key, running);
    return running;
  }

  async runCell(cell: Cell, signal?: AbortSignal): Promise<CellOutcome> {
    if (this.closed) {
      return {
        status: "failed",
        invalidReason: "error",
        message: "the engine session is closed",
        backend: this.backend,
      };
    }
    let cfg: ServerConfig;
    try {
      cfg = serverConfigFor(cell, this.session.key.llama);
    } catch (err) {
      if (!(err instanceof RejectedParameterError)) throw err;
      return {
        status: "failed",
        invalidReason: "rejected-parameter",
        message: err.message,
        backend: this.backend,
      };
    }
    let running: RunningServer;
    try {
      running = await this.serverFor(cfg, signal ?? this.session.signal);
    } catch (err) {
      if (err instanceof RejectedParameterError) {
        return {
          status: "failed",
          invalidReason: "rejected-parameter",
          message: err.message,
          backend: this.backend,
        };
      }
      if (!(err instanceof RunFailedError)) throw err;
      const d = err.details as { stderrTail?: string; reason?: string };
      return {
        status: "failed",
        invalidReason: (d.reason ?? "error") as InvalidReason,
        message: err.message,
        ...(d.stderrTail ? { stderrTail: d.stderrTail } : {}),
        backend: this.backend,
      };
    }
    const common = { command: running.argv, backend: this.backend };
    const sampler = this.opts.startVramSampler?.();
    const sent = await sendServerCell(
      {
        baseUrl: running.server.baseUrl,
        timeoutMs: this.opts.cellTimeoutMs ?? 600_000,
        speculative: cfg.draft,
        ...(signal ? { signal } : {}),
      },
      cell,
    );
    const vram = await sampler?.stop();
    if (sent.kind === "failed") {
      const crashed = !running.server.running();
      const stderrTail = running.server.stderrTail();
      // A server that timed out is still busy with the request; a fresh one serves the next cell.
      await running.server.stop();
      this.servers.delete(serverConfigKey(cfg));
      const reason: InvalidReason = crashed ? "crashed" : sent.reason;
      return {
        status: "failed",
        invalidReason: reason,
        message: crashed ? `llama-server died during the cell: ${sent.message}` : sent.message,
        stderrTail,
        ...common,
      };
    }
    const outcome = serverCellOutcome(cell, sent, cfg.draft);
    if (outcome.metrics) {
      outcome.metrics.loadMs = running.server.loadMs;
      if (vram?.peakVramMib !== undefined) outcome.metrics.peakVramMib = vram.peakVramMib;
    }
    if (cfg.draft && running.speculation.engaged === false && outcome.status === "ok") {
      return {
        ...outcome,
        status: "invalid",
        invalidReason: "speculation-not-engaged",
        message: running.speculation.detail,
        ...common,
      };
    }
    if (outcome.invalidReason === "speculation-not-engaged" && running.speculation.engaged === false) {
      outcome.message = `${outcome.message ?? ""}; ${running.speculation.detail}`;
    }
    return { ...outcome, ...common };
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(all.map((s) => s.server.stop()));
  }
}
