// One shard's models loaded once (target, and draft when the shard has one); cells run one at a time on
// sequences reused across cells (history cleared per generation, contexts recreated only when a parallel
// cell needs another number of sequences). Right after the load, one warm-up generation (a short
// speculative run where the session has a draft, so both models run) is discarded; every result carries it.
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import type { Cell, KPolicy, ShardKey } from "../../../core/cell.js";
import { RejectedParameterError } from "../../../core/errors.js";
import { checkDraftCompatibility } from "../../../core/gguf/check-pair.js";
import { vocabFromMetadata } from "../../../core/gguf/gguf-vocab.js";
import { checkGgufModelFile } from "../../../core/gguf/read-gguf-header.js";
import { WARMUP_TOKENS, type WarmupRecord } from "../../../core/measurement-protocol.js";
import type { CellOutcome } from "../../../core/metrics.js";
import type { EngineSession, ResolvedModels } from "../engine.js";
import { generateBaseline } from "./generate-baseline.js";
import { generateParallel, type ParallelSlot } from "./generate-parallel.js";
import { generateSpeculative } from "./generate-speculative.js";
import type { GenerationOptions } from "./generation-record.js";
import { toCellMetrics, toCellOutcome, toParallelMetrics, type MetricsContext } from "./to-cell-metrics.js";

const MIB = 1024 * 1024;

export interface InProcessSessionConfig {
  llama: Llama;
  backend: "cpu" | "cuda";
  key: ShardKey;
  models: ResolvedModels;
  /** The planned cells, run in this order (loads do not depend on it: one per session). */
  order: readonly Cell[];
  /** Threads per context; the shard's llama.threads wins. */
  threads?: number;
  topK: number;
  signal?: AbortSignal;
}

interface Contexts {
  sequences: number;
  target: LlamaContext;
  draft?: LlamaContext;
  slots: ParallelSlot[];
}

export class InProcessSession implements EngineSession {
  private contexts?: Contexts;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  readonly order: readonly Cell[];
  /** Names this session's model load in its results. */
  readonly loadId = randomBytes(6).toString("hex");
  /** The discarded warm-up generation (undefined when it failed or there was nothing to warm up with). */
  warmup: WarmupRecord | undefined;
  /** Why the warm-up did not run or failed. */
  warmupProblem: string | undefined;

  private constructor(
    private readonly cfg: InProcessSessionConfig,
    private readonly target: LlamaModel,
    private readonly draft: LlamaModel | undefined,
    readonly loadMs: number,
  ) {
    this.order = cfg.order;
  }

  /** Loads the models and checks the pair; throws IncompatibleModelsError before any cell runs. */
  static async open(cfg: InProcessSessionConfig): Promise<InProcessSession> {
    const { targetPath, draftPath } = cfg.models;
    // From the GGUF headers, before either model loads: a malformed file or a pair llama.cpp would reject
    // fails here, by name (llama.cpp's own loader can spin on a header with absurd counts).
    const targetVocab = vocabFromMetadata((await checkGgufModelFile(targetPath)).metadata);
    if (draftPath !== undefined) {
      const draftVocab = vocabFromMetadata((await checkGgufModelFile(draftPath)).metadata);
      checkDraftCompatibility(
        { name: path.basename(targetPath), vocab: targetVocab },
        { name: path.basename(draftPath), vocab: draftVocab },
      );
    }
    const start = performance.now();
    const gpuLayers =
      cfg.backend === "cpu" ? 0 : cfg.key.llama.gpuLayers >= 999 ? "max" : cfg.key.llama.gpuLayers;
    const load = (modelPath: string): Promise<LlamaModel> =>
      cfg.llama.loadModel({ modelPath, gpuLayers, ...(cfg.signal ? { loadSignal: cfg.signal } : {}) });
    const target = await load(targetPath);
    let draft: LlamaModel | undefined;
    try {
      if (draftPath !== undefined) draft = await load(draftPath);
    } catch (err) {
      await target.dispose();
      throw err;
    }
    const session = new InProcessSession(cfg, target, draft, performance.now() - start);
    await session.warmUp();
    return session;
  }

  /**
   * One discarded generation before any cell: the first planned speculative cell (both models run), else
   * the first planned cell as a baseline, cut to WARMUP_TOKENS.
   */
  private async warmUp(): Promise<void> {
    const model = this.cfg.order.find((c) => c.kind === "speculative" && this.draft) ?? this.cfg.order[0];
    if (model === undefined) {
      this.warmupProblem = "no planned cell to warm up with";
      return;
    }
    const cell: Cell = {
      ...model,
      kind: model.kind === "parallel" ? "baseline" : model.kind,
      nPredict: Math.min(WARMUP_TOKENS, model.nPredict),
      cellId: `warmup-${model.cellId}`,
    };
    const outcome = await this.runOne(cell, this.cfg.signal);
    const m = outcome.metrics;
    if (outcome.status === "failed" || m === undefined) {
      this.warmupProblem = outcome.message ?? "the warm-up generation failed";
      return;
    }
    this.warmup = { nDecoded: m.nDecoded, wallMs: m.wallMs, decodeTps: m.decodeTps };
  }

  runCell(cell: Cell, signal?: AbortSignal): Promise<CellOutcome> {
    // Cells share the session's sequences, so they run one after another even if the caller overlaps them.
    const run = this.queue.then(() => this.runOne(cell, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.disposeContexts();
    await this.draft?.dispose();
    await this.target.dispose();
  }

  private async runOne(cell: Cell, signal?: AbortSignal): Promise<CellOutcome> {
    const backend = this.cfg.backend;
    if (this.closed)
      return { status: "failed", invalidReason: "error", message: "session is closed", backend };
    const wallStart = performance.now();
    try {
      const kPolicy = this.kPolicyOf(cell);
      const concurrency = cell.kind === "parallel" ? (cell.concurrency ?? 1) : 1;
      const ctx = await this.ensureContexts(concurrency, kPolicy !== undefined);
      const prompt = [
        ...(this.target.tokens.shouldPrependBosToken && this.target.tokens.bos !== null
          ? [this.target.tokens.bos]
          : []),
        ...this.target.tokenize(cell.prompt),
      ];
      const gen: GenerationOptions = {
        nPredict: cell.nPredict,
        temperature: cell.temperature,
        seed: cell.seed,
        topK: this.cfg.topK,
        ...(signal ? { signal } : {}),
      };
      const slot = ctx.slots[0]!;
      let records;
      let parallel;
      if (cell.kind === "parallel") {
        parallel = await generateParallel(ctx.slots, prompt, {
          ...gen,
          requests: cell.requests ?? concurrency,
          ...(kPolicy ? { kPolicy } : {}),
        });
        records = parallel.records;
      } else if (cell.kind === "speculative") {
        records = [
          await generateSpeculative(slot.target, slot.draft!, prompt, { ...gen, kPolicy: kPolicy! }),
        ];
      } else {
        records = [await generateBaseline(slot.target, prompt, gen)];
      }
      const metricsCtx: MetricsContext = {
        nPredict: cell.nPredict,
        loadMs: this.loadMs,
        loadId: this.loadId,
        wallMs: performance.now() - wallStart,
        memoryMib: this.contextMemoryMib(ctx, kPolicy !== undefined),
        ...(backend === "cuda" ? { peakVramMib: (await this.cfg.llama.getVramState()).used / MIB } : {}),
        detokenize: (tokens) => this.target.detokenize(tokens as Token[]),
      };
      const metrics = parallel
        ? toParallelMetrics(parallel, metricsCtx)
        : toCellMetrics(records[0]!, metricsCtx);
      if (this.warmup !== undefined) metrics.warmup = this.warmup;
      return toCellOutcome(records, metrics, {
        nPredict: cell.nPredict,
        speculative: kPolicy !== undefined,
        backend,
      });
    } catch (err) {
      const rejected = err instanceof RejectedParameterError;
      return {
        status: "failed",
        invalidReason: rejected ? "rejected-parameter" : "error",
        message: err instanceof Error ? err.message : String(err),
        backend,
      };
    }
  }

  /** The K policy a cell drafts with, or undefined when it runs the target alone. */
  private kPolicyOf(cell: Cell): KPolicy | undefined {
    const wantsDraft = cell.kind === "speculative" || (cell.kind === "parallel" && cell.draft !== undefined);
    if (!wantsDraft) return undefined;
    if (!this.draft) {
      throw new RejectedParameterError(
        `${cell.kind} cell ${cell.cellId} needs a draft model, but this session was opened without one`,
      );
    }
    const k = cell.k;
    if (!k) throw new RejectedParameterError(`${cell.kind} cell ${cell.cellId} has no K policy (k)`);
    return k;
  }

  private async ensureContexts(sequences: number, withDraft: boolean): Promise<Contexts> {
    const have = this.contexts;
    if (have && have.sequences === sequences && (!withDraft || have.draft)) return have;
    await this.disposeContexts();
    const { llama } = this.cfg.key;
    const threads = llama.threads ?? this.cfg.threads ?? defaultThreads();
    const options = {
      contextSize: llama.ctx,
      sequences,
      ...(threads === undefined ? {} : { threads }),
      ...(llama.batch === undefined ? {} : { batchSize: llama.batch }),
      ...(llama.flashAttn === "auto" ? {} : { flashAttention: llama.flashAttn === "on" }),
    };
    const target = await this.target.createContext(options);
    const draft = withDraft && this.draft ? await this.draft.createContext(options) : undefined;
    const slots: ParallelSlot[] = [];
    for (let i = 0; i < sequences; i++) {
      const targetSeq: LlamaContextSequence = target.getSequence();
      slots.push(draft ? { target: targetSeq, draft: draft.getSequence() } : { target: targetSeq });
    }
    this.contexts = { sequences, target, ...(draft ? { draft } : {}), slots };
    return this.contexts;
  }

  private async disposeContexts(): Promise<void> {
    const ctx = this.contexts;
    this.contexts = undefined;
    await ctx?.draft?.dispose();
    await ctx?.target.dispose();
  }

  /**
   * Weights of the models the cell used plus their contexts (KV cache, compute buffers): what the estimate
   * covers. A baseline cell run in a session that also holds a draft is counted without the draft.
   */
  private contextMemoryMib(ctx: Contexts, usesDraft: boolean): number {
    const draftCtx = usesDraft ? ctx.draft : undefined;
    const contextBytes = [ctx.target, draftCtx].reduce(
      (sum, c) => sum + (c ? c.memoryUsage.ram + c.memoryUsage.vram : 0),
      0,
    );
    const weightBytes = this.target.size + (draftCtx && this.draft ? this.draft.size : 0);
    return (contextBytes + weightBytes) / MIB;
  }
}

/** One thread per context on small machines: two spinning threads on a shared 2-core box collapse throughput. */
function defaultThreads(): number | undefined {
  return os.availableParallelism() <= 4 ? 1 : undefined;
}
