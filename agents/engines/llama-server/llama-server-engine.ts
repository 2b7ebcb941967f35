// llama-server as an engine. A session starts one server per configuration its cells need (draft or none,
// K, p_min, slots; core/plan/server-blocks.ts), each once: it knows the shard's planned cells, stops a
// server as soon as no remaining cell needs it, and when it must make room stops one never needed again or
// the one needed last. A baseline server stays beside a speculative one when the memory estimate says both
// fit on this host; otherwise the session regroups the baselines into a block of their own, so the two
// never coexist. Where the build honours per-request `speculative.n_max` one server drafts every K of a
// (p_min, slots), and every cell is checked for drafting no more than its K per step. Every start and stop
// is logged with its configuration and load time; each result carries the load time and load id of the
// server that ran it. A server that falls back to no speculation is caught at start (/slots) and per cell
// (no draft_n), and its cells are invalid with the reason stored. Every server started serves one short
// warm-up request, discarded (logged, and carried by each result of that server), before its first cell.
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Cell } from "../../../core/cell.js";
import { ConfigError, RejectedParameterError, RunFailedError } from "../../../core/errors.js";
import { WARMUP_TOKENS, type WarmupRecord } from "../../../core/measurement-protocol.js";
import type { CellOutcome, InvalidReason } from "../../../core/metrics.js";
import { groupByServer, serverKeyOf, speculates } from "../../../core/plan/server-blocks.js";
import type { LlamaBuildProbe, LlamaToolProbe } from "../../probe/probe-llama-build.js";
import type { VramSampler } from "../../probe/vram-sampler.js";
import type { Engine, EngineSession, EngineSessionOptions } from "../engine.js";
import { LlamaServerProcess, type SpeculationCheck } from "./llama-server-process.js";
import { specCountersDelta, type ServerMetricsSnapshot } from "../../../core/parsers/parse-server-metrics.js";
import {
  addSpecCounters,
  draftedPerStep,
  scrapeServerMetrics,
  sendServerCell,
  serverCellOutcome,
} from "./run-server-cell.js";
import {
  buildServerArgv,
  describeServerConfig,
  serverConfigFor,
  type ServerConfig,
} from "./server-config.js";
import { ServerLookahead } from "./server-lookahead.js";
import { baselineFitsBesideSpeculative, hostFreeMemoryMib, pairFacts } from "./servers-fit.js";

export interface LlamaServerEngineOptions {
  build: LlamaBuildProbe;
  /** Longest model load (until /health is 200). @default 600000 */
  loadTimeoutMs?: number;
  /** Longest single cell (all its requests). @default 600000 */
  cellTimeoutMs?: number;
  /** Servers kept running at once in a session, where memory allows that many. @default 2 */
  maxServers?: number;
  /** Free memory where the weights go (VRAM when offloading, else RAM). @default nvidia-smi / os.freemem */
  freeMemoryMib?: (gpuLayers: number) => Promise<{ onGpu: boolean; freeMib: number }>;
  startVramSampler?: () => VramSampler;
  env?: NodeJS.ProcessEnv;
}

interface RunningServer {
  key: string;
  cfg: ServerConfig;
  server: LlamaServerProcess;
  speculation: SpeculationCheck;
  argv: string[];
  /** Names this load in results and logs. */
  loadId: string;
  /** The discarded warm-up request it served after starting. */
  warmup?: WarmupRecord;
  cells: number;
  lastUsed: number;
  /**
   * The /metrics snapshot taken after its last cell: nothing else asks this server to generate between two
   * cells, so it is the next cell's "before" (one scrape per cell instead of two).
   */
  lastMetrics?: ServerMetricsSnapshot;
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
    const kPerRequest = probe.capabilities.perRequestSpeculative === true;
    const planned = session.cells ?? [];
    const coexist = await this.baselineBesideSpeculative(session, planned, kPerRequest);
    const order = coexist ? planned : groupByServer(planned, { kPerRequest });
    const opened = new LlamaServerSession(this.opts, probe, session, await this.describe(), {
      order,
      maxServers: coexist ? (this.opts.maxServers ?? 2) : 1,
      kPerRequest,
    });
    await opened.startFirstServer();
    return opened;
  }

  /** Whether a baseline server may run beside a speculative one for these cells on this host. */
  private async baselineBesideSpeculative(
    session: EngineSessionOptions,
    planned: readonly Cell[],
    kPerRequest: boolean,
  ): Promise<boolean> {
    const { targetPath, draftPath } = session.models;
    const mixes = planned.some(speculates) && planned.some((c) => !speculates(c));
    if (!mixes || draftPath === undefined) return true;
    // they would meet only if a baseline cell comes after a speculative server started and before it stops
    if (groupByServer(planned, { kPerRequest }).every((c, i) => c === planned[i])) return true;
    const log = session.logger;
    const facts = await pairFacts(targetPath, draftPath);
    if ("error" in facts) {
      log?.warn(
        { err: facts.error },
        "cannot read the models' GGUF headers to size the servers; keeping the baseline server beside the speculative one",
      );
      return true;
    }
    const { onGpu, freeMib } = await (this.opts.freeMemoryMib ?? hostFreeMemoryMib)(
      session.key.llama.gpuLayers,
    );
    const fit = baselineFitsBesideSpeculative({ ...facts, ctx: session.key.llama.ctx, onGpu, freeMib });
    log?.info(
      {
        needMib: Math.round(fit.needMib),
        freeMib: Math.round(fit.freeMib),
        memory: onGpu ? "vram" : "ram",
      },
      fit.fits
        ? "baseline server fits beside the speculative one: baselines interleave as planned"
        : "baseline and speculative servers do not fit together: baseline cells run as a block of their own",
    );
    return fit.fits;
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

interface SessionPlan {
  order: readonly Cell[];
  maxServers: number;
  kPerRequest: boolean;
}

class LlamaServerSession implements EngineSession {
  readonly order: readonly Cell[];
  private readonly servers = new Map<string, RunningServer>();
  private lookahead: ServerLookahead;
  /** Cells already run (by id), so the lookahead can be rebuilt over the rest. */
  private readonly ran = new Set<string>();
  private readonly planned: boolean;
  /** Per-request K in use; switched off for the session when a server is seen ignoring it. */
  private kPerRequest: boolean;
  /** Largest K planned per shared server key (per-request mode): the server's own n_max. */
  private readonly kMaxByKey = new Map<string, number>();
  private firstLoadMs: number | undefined;
  private closed = false;

  constructor(
    private readonly opts: LlamaServerEngineOptions,
    private readonly probe: LlamaToolProbe,
    private readonly session: EngineSessionOptions,
    private readonly backend: string,
    private readonly plan: SessionPlan,
  ) {
    this.order = plan.order;
    this.planned = plan.order.length > 0;
    this.kPerRequest = plan.kPerRequest;
    this.lookahead = new ServerLookahead(plan.order.map((c) => this.keyOf(c)));
    if (this.kPerRequest) {
      for (const c of plan.order) {
        if (c.k?.kind !== "fixed") continue;
        const key = this.keyOf(c);
        this.kMaxByKey.set(key, Math.max(this.kMaxByKey.get(key) ?? 0, c.k.k));
      }
    }
  }

  get loadMs(): number {
    return this.firstLoadMs ?? 0;
  }

  private get log(): Logger | undefined {
    return this.session.logger;
  }

  private keyOf(cell: Cell): string {
    return serverKeyOf(cell, { kPerRequest: this.kPerRequest });
  }

  /** Starts the first planned cell's server with the session, so a server that cannot load fails the open. */
  async startFirstServer(): Promise<void> {
    const first = this.order[0];
    if (first === undefined) return;
    let cfg: ServerConfig;
    try {
      cfg = this.configFor(first);
    } catch (err) {
      if (err instanceof RejectedParameterError) return; // the cell fails on its own when it runs
      throw err;
    }
    await this.serverFor(this.keyOf(first), cfg, first, this.session.signal);
  }

  /** The server a cell runs on; in per-request mode K is the shared server's largest planned K. */
  private configFor(cell: Cell): ServerConfig {
    const cfg = serverConfigFor(cell, this.session.key.llama);
    if (!this.kPerRequest || !cfg.speculative || cfg.k === undefined) return cfg;
    return { ...cfg, k: Math.max(cfg.k, this.kMaxByKey.get(this.keyOf(cell)) ?? 0) };
  }

  /** The running server for a configuration, started (and warmed up with `cell`'s request) when needed. */
  private async serverFor(
    key: string,
    cfg: ServerConfig,
    cell: Cell,
    signal?: AbortSignal,
  ): Promise<RunningServer> {
    const existing = this.servers.get(key);
    // a shared per-request server must draft at least as far as the cell asks
    if (existing?.server.running() && (existing.cfg.k ?? 0) >= (cfg.k ?? 0)) {
      existing.lastUsed = performance.now();
      return existing;
    }
    if (existing) await this.stopServer(existing, existing.server.running() ? "restarted" : "exited");
    while (this.servers.size >= this.plan.maxServers) {
      const victim = this.planned
        ? this.lookahead.victim(this.servers.keys(), key)
        : [...this.servers.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0]?.key;
      const running = victim === undefined ? undefined : this.servers.get(victim);
      if (!running) break;
      await this.stopServer(
        running,
        this.lookahead.remaining(running.key) === 0
          ? "no remaining cell needs it"
          : "making room (needed again later)",
      );
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
    const speculation: SpeculationCheck = cfg.speculative
      ? await server.checkSpeculation()
      : { engaged: undefined, detail: "baseline server (no draft)" };
    const running: RunningServer = {
      key,
      cfg,
      server,
      speculation,
      argv,
      loadId: randomBytes(6).toString("hex"),
      cells: 0,
      lastUsed: performance.now(),
    };
    this.servers.set(key, running);
    const warmup = await this.warmUp(running, cell, signal);
    if (warmup !== undefined) running.warmup = warmup;
    this.log?.info(
      {
        server: describeServerConfig(cfg),
        loadId: running.loadId,
        loadMs: Math.round(server.loadMs),
        pid: server.proc.pid,
        plannedCells: this.lookahead.remaining(key),
        speculation: speculation.detail,
      },
      "llama-server started",
    );
    return running;
  }

  /** One short request like the cell's, discarded: the server's first generation runs cold. */
  private async warmUp(
    running: RunningServer,
    cell: Cell,
    signal?: AbortSignal,
  ): Promise<WarmupRecord | undefined> {
    const warm: Cell = {
      ...cell,
      kind: cell.kind === "parallel" ? "baseline" : cell.kind,
      nPredict: Math.min(WARMUP_TOKENS, cell.nPredict),
    };
    const sent = await sendServerCell(
      {
        baseUrl: running.server.baseUrl,
        timeoutMs: this.opts.cellTimeoutMs ?? 600_000,
        speculative: running.cfg.speculative,
        ...(signal ? { signal } : {}),
      },
      warm,
    );
    if (sent.kind === "failed") {
      this.log?.warn(
        { server: describeServerConfig(running.cfg), loadId: running.loadId, err: sent.message },
        "warm-up request failed: the server's first cell runs cold",
      );
      return undefined;
    }
    const m = serverCellOutcome(warm, sent, running.cfg.speculative).metrics;
    const warmup: WarmupRecord = {
      nDecoded: m?.nDecoded ?? 0,
      wallMs: sent.wallMs,
      ...(m?.decodeTps === undefined ? {} : { decodeTps: m.decodeTps }),
    };
    this.log?.info(
      { server: describeServerConfig(running.cfg), loadId: running.loadId, ...warmup },
      "warm-up generation run and discarded",
    );
    return warmup;
  }

  private async stopServer(running: RunningServer, reason: string): Promise<void> {
    this.servers.delete(running.key);
    await running.server.stop();
    this.log?.info(
      {
        server: describeServerConfig(running.cfg),
        loadId: running.loadId,
        loadMs: Math.round(running.server.loadMs),
        cells: running.cells,
        reason,
      },
      "llama-server stopped",
    );
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
    try {
      return await this.runOn(cell, signal);
    } finally {
      this.ran.add(cell.cellId);
      // the key after the cell ran: a switch out of per-request K changes it
      const key = this.keyOf(cell);
      const planned = this.lookahead.consume(key);
      const running = this.servers.get(key);
      if (planned && running && this.lookahead.remaining(key) === 0) {
        await this.stopServer(running, "no remaining cell needs it");
      }
    }
  }

  private async runOn(cell: Cell, signal?: AbortSignal): Promise<CellOutcome> {
    const key = this.keyOf(cell);
    let cfg: ServerConfig;
    try {
      cfg = this.configFor(cell);
    } catch (err) {
      if (!(err instanceof RejectedParameterError)) throw err;
      return this.failed("rejected-parameter", err.message);
    }
    let running: RunningServer;
    try {
      running = await this.serverFor(key, cfg, cell, signal ?? this.session.signal);
    } catch (err) {
      if (err instanceof RejectedParameterError) return this.failed("rejected-parameter", err.message);
      if (!(err instanceof RunFailedError)) throw err;
      const d = err.details as { stderrTail?: string; reason?: string };
      return {
        ...this.failed((d.reason ?? "error") as InvalidReason, err.message),
        ...(d.stderrTail ? { stderrTail: d.stderrTail } : {}),
      };
    }
    const perRequest =
      this.kPerRequest && cfg.speculative && cell.k?.kind === "fixed"
        ? { nMax: cell.k.k, pMin: cell.pMin ?? 0 }
        : undefined;
    const outcome = await this.send(running, cell, cfg, perRequest, signal);
    if (perRequest === undefined || outcome.metrics === undefined) return outcome;
    // the probe dates the build; the response shows whether this server really drafted the cell's K
    const perStep = draftedPerStep(outcome.metrics, requestsOf(cell));
    if (perStep === undefined || perStep <= perRequest.nMax + 1e-9) return outcome;
    this.log?.warn(
      {
        server: describeServerConfig(running.cfg),
        cell: cell.cellId,
        k: perRequest.nMax,
        draftedPerStep: perStep,
      },
      "llama-server ignored the per-request speculative.n_max; one server per K from now on",
    );
    await this.stopServer(running, "ignores per-request K");
    this.kPerRequest = false;
    this.lookahead = new ServerLookahead(
      this.order.filter((c) => !this.ran.has(c.cellId)).map((c) => this.keyOf(c)),
    );
    return this.runOn(cell, signal);
  }

  private async send(
    running: RunningServer,
    cell: Cell,
    cfg: ServerConfig,
    perRequest: { nMax: number; pMin: number } | undefined,
    signal?: AbortSignal,
  ): Promise<CellOutcome> {
    const common = { command: running.argv, backend: this.backend };
    const sampler = this.opts.startVramSampler?.();
    running.cells++;
    // the speculative counters are cumulative: the cell's own are the change across it
    const before = cfg.speculative
      ? (running.lastMetrics ?? (await scrapeServerMetrics(running.server.baseUrl, signal)))
      : undefined;
    running.lastMetrics = undefined;
    const sent = await sendServerCell(
      {
        baseUrl: running.server.baseUrl,
        timeoutMs: this.opts.cellTimeoutMs ?? 600_000,
        speculative: cfg.speculative,
        ...(perRequest ? { perRequest } : {}),
        ...(signal ? { signal } : {}),
      },
      cell,
    );
    const vram = await sampler?.stop();
    if (sent.kind === "failed") {
      const crashed = !running.server.running();
      const stderrTail = running.server.stderrTail();
      // A server that timed out is still busy with the request; a fresh one serves the next cell.
      await this.stopServer(running, crashed ? "died during a cell" : `cell failed (${sent.reason})`);
      const reason: InvalidReason = crashed ? "crashed" : sent.reason;
      return {
        status: "failed",
        invalidReason: reason,
        message: crashed ? `llama-server died during the cell: ${sent.message}` : sent.message,
        stderrTail,
        ...common,
      };
    }
    const outcome = serverCellOutcome(cell, sent, cfg.speculative);
    const after =
      before === undefined ? undefined : await scrapeServerMetrics(running.server.baseUrl, signal);
    if (after !== undefined) running.lastMetrics = after;
    const delta = before && after ? specCountersDelta(before, after) : undefined;
    if (outcome.metrics && delta !== undefined) addSpecCounters(outcome.metrics, delta, cfg.k);
    if (outcome.metrics) {
      outcome.metrics.loadMs = running.server.loadMs;
      outcome.metrics.loadId = running.loadId;
      if (running.warmup !== undefined) outcome.metrics.warmup = running.warmup;
      if (vram?.peakVramMib !== undefined) outcome.metrics.peakVramMib = vram.peakVramMib;
    }
    if (cfg.speculative && running.speculation.engaged === false && outcome.status === "ok") {
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

  private failed(reason: InvalidReason, message: string): CellOutcome {
    return { status: "failed", invalidReason: reason, message, backend: this.backend };
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.servers.values()];
    await Promise.all(all.map((s) => this.stopServer(s, "session closed")));
  }
}

/** Requests a cell sends (parallel cells send several; each starts with a token from its prompt pass). */
function requestsOf(cell: Cell): number {
  return cell.kind === "parallel" ? (cell.requests ?? cell.concurrency ?? 1) : 1;
}
