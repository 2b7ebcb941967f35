// One shard from delivery to ack: skip placements already done, open one engine session over the pending
// cells (models loaded once; servers once per configuration), run the cells in the order the session
// gives, publish each result as soon as it exists, keep the message in progress meanwhile. Each cell runs
// inside a host-noise measurement (agents/probe/host-noise-probe): its figures and contention verdict go into
// the result's metrics.noise.
// Failures are data: a shard that cannot run is retried by redelivery (nak with delay) up to max_deliver,
// then its cells are recorded failed and the message is terminated so it does not sit in the queue forever.
import os from "node:os";
import type { JsMsg, JetStreamClient } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { Logger } from "pino";
import type { Cell } from "../../core/cell.js";
import { cellLimitProblems, type CellLimits } from "../../core/cell-limits.js";
import { SpecgridError } from "../../core/errors.js";
import type { CellOutcome, CellResult, InvalidReason } from "../../core/metrics.js";
import { RESULTS_STREAM, doneKey, resultMsgId, resultsSubject } from "../../core/nats-names.js";
import { decodeShard, encodeCellResult } from "../../core/wire/nats-payloads.js";
import type { ShardJob } from "../../core/wire/shard-wire.js";
import type { Engine, EngineSession, ResolvedModels } from "../engines/engine.js";
import { startHostNoise, type HostNoiseMeasurement } from "../probe/host-noise-probe.js";

export type ShardEnd = "acked" | "nak" | "term" | "released" | "split";

/** How many times its planned duration a shard runs before it hands its remaining cells back. */
export const DEFAULT_SPLIT_AFTER_ESTIMATE = 1.5;

export interface RunShardDeps {
  /** Bounds every incoming cell is held to before it runs (core/cell-limits). @default DEFAULT_CELL_LIMITS */
  cellLimits?: CellLimits;
  js: JetStreamClient;
  done: KV;
  engine: Engine;
  /** Engines for shards of another engine run beside `engine` (llama-bench baselines), by engine name. */
  companions?: ReadonlyMap<string, Engine>;
  hostId: string;
  logger: Logger;
  /** Maps the shard's models (by sha256) onto local files. */
  resolveModels(job: ShardJob): Promise<ResolvedModels>;
  /** Whether the sweep was cancelled (checked before each cell). */
  isCancelled(sweepId: string): boolean;
  ackWaitMs: number;
  maxDeliver: number;
  /** Delay before a failed shard is redelivered. @default 1000 */
  retryDelayMs?: number;
  /**
   * A shard that has run this many times its planned duration (a host slower than the plan assumed) hands
   * its remaining cells back to the pool (nak: the next puller runs only the cells without a done-mark), so
   * slow hosts run shorter shards and none holds up the end of a sweep. Two deliveries are always kept for
   * real retries; a baseline is never parted from the speculative cell it pairs with. 0: never.
   * @default DEFAULT_SPLIT_AFTER_ESTIMATE
   */
  splitAfterEstimate?: number;
  /** Starts the host-noise measurement around a cell. @default startHostNoise without a GPU sampler */
  measureNoise?: (cell: Cell) => Promise<HostNoiseMeasurement>;
}

/** Threads a cell's engine decodes with: llama.threads, else every core (llama.cpp's own default). */
export function engineThreadsOf(cell: Cell): number {
  return cell.llama.threads ?? os.availableParallelism();
}

async function withRetry<T>(
  what: () => Promise<T>,
  signal: AbortSignal | undefined,
  tries = 120,
): Promise<T> {
  // NATS may be restarting: keep trying for about a minute before giving up on a publish
  for (let i = 1; ; i++) {
    try {
      return await what();
    } catch (err) {
      if (i >= tries || signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function invalidReasonOf(err: unknown): InvalidReason {
  if (!(err instanceof SpecgridError)) return "error";
  if (err.code === "MODELS_INCOMPATIBLE") return "vocab-mismatch";
  if (err.code === "PARAMETER_REJECTED") return "rejected-parameter";
  return "error";
}

/**
 * The session may regroup the cells (servers that cannot coexist); its order is taken only when it holds
 * exactly the pending cells, so no cell is skipped or run twice whatever an engine returns.
 */
function runOrder(order: readonly Cell[] | undefined, pending: readonly Cell[]): readonly Cell[] {
  if (order === undefined || order.length !== pending.length) return pending;
  const ids = new Set(pending.map((c) => c.cellId));
  for (const c of order) if (!ids.delete(c.cellId)) return pending;
  return order;
}

/** A shard's message before anything runs: its job, or how it ended (unreadable, another host's, cancelled). */
function admit(msg: JsMsg, deps: RunShardDeps): ShardJob | ShardEnd {
  let job: ShardJob;
  try {
    job = decodeShard(msg.data);
  } catch (err) {
    deps.logger.error({ err: String(err) }, "unreadable shard payload; terminating it");
    msg.term();
    return "term";
  }
  const log = deps.logger.child({ sweep: job.sweepId, shard: job.shard.shardId });
  if (job.hostId !== undefined && job.hostId !== deps.hostId) {
    log.warn({ for: job.hostId }, "shard pinned to another host; releasing it");
    msg.nak();
    return "nak";
  }
  if (deps.isCancelled(job.sweepId)) {
    log.info("sweep cancelled; dropping shard");
    msg.term();
    return "term";
  }
  return job;
}

/**
 * The cells of this placement already done (a redelivered shard): the shard's done-marks read concurrently,
 * where a get per cell in turn cost ~0.26 s before a session could start (issue 11). Removed marks (a
 * requeued placement) read as empty and count as not done.
 */
async function doneCellIds(done: KV, job: ShardJob, signal: AbortSignal): Promise<Set<string>> {
  // the shard's own keys, fetched concurrently: one round trip's latency per shard, and work in the shard's
  // size (a wildcard listing of <sweep>.*.<host> would read every done-mark of the sweep for every shard,
  // quadratic over a 100,000-cell sweep)
  const cells = job.shard.cells;
  const entries = await Promise.all(
    cells.map((cell) => withRetry(() => done.get(doneKey(job.sweepId, cell.cellId, job.hostId)), signal)),
  );
  return new Set(cells.filter((_, i) => (entries[i]?.length ?? 0) > 0).map((c) => c.cellId));
}

/** One delivery of a shard: the cells still to run, the results published so far, and how it ends. */
class ShardRun {
  readonly attempt: number;
  readonly log: Logger;
  /** Cells this delivery runs (not done before, within the agent's limits). */
  readonly pending: Cell[] = [];
  /** Cells whose result this delivery published. */
  readonly published = new Set<string>();
  /** Set when the shard overran its budget and hands the rest back. */
  private split: { ran: number; left: number; elapsedMs: number } | undefined;
  /** The publish of the last cell's result, still in flight while the next cell runs. */
  private storing: Promise<void> | undefined;

  constructor(
    private readonly msg: JsMsg,
    private readonly job: ShardJob,
    private readonly deps: RunShardDeps,
  ) {
    this.attempt = msg.info.deliveryCount;
    this.log = deps.logger.child({ sweep: job.sweepId, shard: job.shard.shardId, attempt: this.attempt });
  }

  /** Publishes a cell's result (and, unless it failed, its done mark), retrying while NATS restarts. */
  async publish(cell: Cell, outcome: CellOutcome, startedAt: string): Promise<void> {
    const { sweepId, shard } = this.job;
    const result: CellResult = {
      sweepId,
      cellId: cell.cellId,
      hostId: this.deps.hostId,
      shardId: shard.shardId,
      attempt: this.attempt,
      engine: cell.engine,
      outcome,
      startedAt,
      finishedAt: new Date().toISOString(),
    };
    const base = resultMsgId(sweepId, cell.cellId, this.job.hostId);
    // a failed result may be followed by a successful retry: give it its own id so dedupe keeps both
    const msgID = outcome.status === "failed" ? `${base}.failed-${this.attempt}` : base;
    // expect the results stream: an ack from anything else (a stream made by hand over the subject) is no
    // proof the result is stored where the coordinator counts it
    const ack = await withRetry(
      () =>
        this.deps.js.publish(resultsSubject(sweepId), encodeCellResult(result), {
          msgID,
          expect: { streamName: RESULTS_STREAM },
        }),
      undefined,
    );
    // a retry after a lost ack is deduped against the first copy; the coordinator reads the stream back
    // before it calls the sweep done and puts back any counted result the stream no longer holds
    if (ack.duplicate) this.log.debug({ cell: cell.cellId, seq: ack.seq }, "result already on the stream");
    if (outcome.status !== "failed") {
      const key = doneKey(sweepId, cell.cellId, this.job.hostId);
      await withRetry(() => this.deps.done.put(key, this.deps.hostId), undefined);
    }
    this.published.add(cell.cellId);
    this.log.info({ cell: cell.cellId, status: outcome.status, reason: outcome.invalidReason }, "cell done");
  }

  /** Fills `pending`: skips cells already done, records out-of-limits cells as failed. */
  async selectPending(signal: AbortSignal): Promise<void> {
    const cells = this.job.shard.cells;
    const done = await doneCellIds(this.deps.done, this.job, signal);
    for (const cell of cells) {
      if (done.has(cell.cellId)) continue;
      // the coordinator is trusted to send values only, but nobody may make this host run out-of-schema cells
      const problems = cellLimitProblems(cell, this.deps.cellLimits);
      if (problems.length > 0) {
        const message = `cell refused by this agent: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`;
        this.log.warn({ cell: cell.cellId, problems }, "cell outside the agent's limits; recorded as failed");
        await this.publish(
          cell,
          { status: "failed", invalidReason: "rejected-parameter", message },
          new Date().toISOString(),
        );
        continue;
      }
      this.pending.push(cell);
    }
    if (this.pending.length < cells.length)
      this.log.info({ skipped: cells.length - this.pending.length }, "redelivered: skipping done cells");
  }

  /**
   * An engine session over the pending cells, or how the shard ends when none opens: redelivered later
   * (nak), or, when the error is not retryable or this was the last delivery, its cells failed (term).
   */
  async openSession(signal: AbortSignal): Promise<EngineSession | ShardEnd> {
    const { shard } = this.job;
    try {
      const engine = this.deps.companions?.get(shard.key.engine) ?? this.deps.engine;
      return await engine.openSession({
        key: shard.key,
        models: await this.deps.resolveModels(this.job),
        cells: this.pending,
        logger: this.log,
        signal,
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (signal.aborted) throw err;
      // a SpecgridError that says it is not retryable (incompatible pair, rejected parameter) fails at once;
      // anything else gets the bounded redeliveries
      const fatal = err instanceof SpecgridError && !err.retryable;
      if (!fatal && this.attempt < this.deps.maxDeliver) {
        this.log.warn({ err: message }, "could not open an engine session; retrying later");
        this.msg.nak(this.deps.retryDelayMs ?? 1_000);
        return "nak";
      }
      this.log.error({ err: message, fatal }, "shard cannot run; recording its cells as failed");
      const now = new Date().toISOString();
      const invalidReason = invalidReasonOf(err);
      for (const cell of this.pending)
        await this.publish(cell, { status: "failed", invalidReason, message }, now);
      this.msg.term();
      return "term";
    }
  }

  /** Runs the pending cells in the session's order, each inside a host-noise measurement, until aborted. */
  async runCells(session: EngineSession, signal: AbortSignal): Promise<void> {
    const measure = this.deps.measureNoise ?? ((c: Cell) => startHostNoise(engineThreadsOf(c)));
    const splitAfter = this.deps.splitAfterEstimate ?? DEFAULT_SPLIT_AFTER_ESTIMATE;
    const budgetMs =
      splitAfter > 0 && this.attempt + 2 <= this.deps.maxDeliver
        ? this.job.shard.estimatedMs * splitAfter
        : 0;
    const started = performance.now();
    const order = runOrder(session.order, this.pending);
    let ran = 0;
    for (const cell of order) {
      if (signal.aborted || this.deps.isCancelled(this.job.sweepId)) break;
      if (budgetMs > 0 && ran > 0 && order[ran - 1]!.pairedWith !== cell.cellId) {
        const elapsedMs = performance.now() - started;
        // hand back only what is worth a delivery: at least a quarter of the budget at this host's pace
        const restMs = (elapsedMs / ran) * (order.length - ran);
        if (elapsedMs > budgetMs && restMs > budgetMs / 4) {
          this.split = { ran, left: order.length - ran, elapsedMs: Math.round(elapsedMs) };
          break;
        }
      }
      ran++;
      const startedAt = new Date().toISOString();
      const noise = await measure(cell);
      const outcome = await session.runCell(cell, signal);
      const figures = await noise.stop();
      if (signal.aborted) break;
      if (figures !== undefined && outcome.metrics !== undefined) {
        outcome.metrics.noise = figures;
        if (figures.contended)
          this.log.warn(
            { cell: cell.cellId, ...figures },
            "cell ran under contention: kept, never recommended from",
          );
      }
      // stored while the next cell runs: the publish and done-mark (two acked round trips) leave the
      // critical path; at most one result in flight, each stored before the next is sent
      await this.settleStoring();
      this.storing = this.publish(cell, outcome, startedAt);
      // awaited by settleStoring; a rejection must not go unhandled while the next cell runs
      this.storing.catch(() => undefined);
    }
    await this.settleStoring();
  }

  /** Waits for the result in flight (rethrowing its failure), so none is left unstored. */
  async settleStoring(): Promise<void> {
    const inFlight = this.storing;
    this.storing = undefined;
    await inFlight;
  }

  /** After the cells: terminated (sweep cancelled), released (agent draining), split (over time) or acked. */
  async finish(signal: AbortSignal): Promise<ShardEnd> {
    if (this.deps.isCancelled(this.job.sweepId)) {
      this.log.info("sweep cancelled while running; terminating shard");
      this.msg.term();
      return "term";
    }
    if (signal.aborted) {
      // draining: hand the rest to another agent now rather than after ack_wait
      this.log.info("released (agent draining)");
      this.msg.nak();
      return "released";
    }
    if (this.split !== undefined) {
      const estimatedMs = Math.round(this.job.shard.estimatedMs);
      this.log.info({ ...this.split, estimatedMs }, "shard over its time: rest handed back");
      this.msg.nak();
      return "split";
    }
    await withRetry(() => this.msg.ackAck(), undefined, 20);
    this.log.info({ cells: this.job.shard.cells.length }, "shard done");
    return "acked";
  }

  /** A throw anywhere: released when draining, redelivered while deliveries remain, else the rest failed. */
  async crashed(err: unknown, signal: AbortSignal): Promise<ShardEnd> {
    if (signal.aborted) {
      this.msg.nak();
      return "released";
    }
    const message = err instanceof Error ? err.message : String(err);
    if (this.attempt < this.deps.maxDeliver) {
      this.log.error({ err: message }, "shard crashed; retrying later");
      this.msg.nak(this.deps.retryDelayMs ?? 1_000);
      return "nak";
    }
    this.log.error({ err: message }, "shard crashed on its last delivery; recording the rest as failed");
    const now = new Date().toISOString();
    for (const cell of this.pending) {
      if (!this.published.has(cell.cellId))
        await this.publish(cell, { status: "failed", invalidReason: "crashed", message }, now);
    }
    this.msg.term();
    return "term";
  }
}

/**
 * One shard from delivery to its end (see the file comment): admitted, its pending cells selected, one
 * session over them, the cells run and published, then acked, released or terminated.
 */
export async function runShard(msg: JsMsg, deps: RunShardDeps, signal: AbortSignal): Promise<ShardEnd> {
  const job = admit(msg, deps);
  if (typeof job === "string") return job;
  const run = new ShardRun(msg, job, deps);
  // working() well inside ack_wait keeps a long shard from being redelivered while it runs
  const keepAlive = setInterval(() => msg.working(), Math.max(100, Math.floor(deps.ackWaitMs / 3)));
  try {
    await run.selectPending(signal);
    if (run.pending.length > 0) {
      const session = await run.openSession(signal);
      if (typeof session === "string") return session;
      try {
        await run.runCells(session, signal);
      } finally {
        // on a throw, the result in flight lands first, so the crash path sees it published
        await run.settleStoring().catch(() => undefined);
        await session.close();
      }
    }
    return await run.finish(signal);
  } catch (err) {
    return await run.crashed(err, signal);
  } finally {
    clearInterval(keepAlive);
  }
}
