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
import type { Engine, ResolvedModels } from "../engines/engine.js";
import { startHostNoise, type HostNoiseMeasurement } from "../probe/host-noise-probe.js";

export type ShardEnd = "acked" | "nak" | "term" | "released";

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

export async function runShard(msg: JsMsg, deps: RunShardDeps, signal: AbortSignal): Promise<ShardEnd> {
  const attempt = msg.info.deliveryCount;
  let job: ShardJob;
  try {
    job = decodeShard(msg.data);
  } catch (err) {
    deps.logger.error({ err: String(err) }, "unreadable shard payload; terminating it");
    msg.term();
    return "term";
  }
  const { sweepId, shard } = job;
  const log = deps.logger.child({ sweep: sweepId, shard: shard.shardId, attempt });
  if (job.hostId !== undefined && job.hostId !== deps.hostId) {
    log.warn({ for: job.hostId }, "shard pinned to another host; releasing it");
    msg.nak();
    return "nak";
  }
  if (deps.isCancelled(sweepId)) {
    log.info("sweep cancelled; dropping shard");
    msg.term();
    return "term";
  }
  // working() well inside ack_wait keeps a long shard from being redelivered while it runs
  const keepAlive = setInterval(() => msg.working(), Math.max(100, Math.floor(deps.ackWaitMs / 3)));
  const publish = async (cell: Cell, outcome: CellOutcome, startedAt: string): Promise<void> => {
    const result: CellResult = {
      sweepId,
      cellId: cell.cellId,
      hostId: deps.hostId,
      shardId: shard.shardId,
      attempt,
      engine: cell.engine,
      outcome,
      startedAt,
      finishedAt: new Date().toISOString(),
    };
    const base = resultMsgId(sweepId, cell.cellId, job.hostId);
    // a failed result may be followed by a successful retry: give it its own id so dedupe keeps both
    const msgID = outcome.status === "failed" ? `${base}.failed-${attempt}` : base;
    // expect the results stream: an ack from anything else (a stream made by hand over the subject) is no
    // proof the result is stored where the coordinator counts it
    const ack = await withRetry(
      () =>
        deps.js.publish(resultsSubject(sweepId), encodeCellResult(result), {
          msgID,
          expect: { streamName: RESULTS_STREAM },
        }),
      undefined,
    );
    // a retry after a lost ack is deduped against the first copy; the coordinator reads the stream back
    // before it calls the sweep done and puts back any counted result the stream no longer holds
    if (ack.duplicate) log.debug({ cell: cell.cellId, seq: ack.seq }, "result already on the stream");
    if (outcome.status !== "failed") {
      await withRetry(() => deps.done.put(doneKey(sweepId, cell.cellId, job.hostId), deps.hostId), undefined);
    }
    published.add(cell.cellId);
    log.info({ cell: cell.cellId, status: outcome.status, reason: outcome.invalidReason }, "cell done");
  };

  const published = new Set<string>();
  const pending: Cell[] = [];
  try {
    for (const cell of shard.cells) {
      const entry = await withRetry(() => deps.done.get(doneKey(sweepId, cell.cellId, job.hostId)), signal);
      if (entry && entry.length > 0) continue;
      // the coordinator is trusted to send values only, but nobody may make this host run out-of-schema cells
      const problems = cellLimitProblems(cell, deps.cellLimits);
      if (problems.length > 0) {
        const message = `cell refused by this agent: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`;
        log.warn({ cell: cell.cellId, problems }, "cell outside the agent's limits; recorded as failed");
        await publish(
          cell,
          { status: "failed", invalidReason: "rejected-parameter", message },
          new Date().toISOString(),
        );
        continue;
      }
      pending.push(cell);
    }
    if (pending.length < shard.cells.length)
      log.info({ skipped: shard.cells.length - pending.length }, "redelivered: skipping done cells");
    if (pending.length > 0) {
      let session;
      try {
        const engine = deps.companions?.get(shard.key.engine) ?? deps.engine;
        session = await engine.openSession({
          key: shard.key,
          models: await deps.resolveModels(job),
          cells: pending,
          logger: log,
          signal,
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (signal.aborted) throw err;
        // a SpecgridError that says it is not retryable (incompatible pair, rejected parameter) fails at once;
        // anything else gets the bounded redeliveries
        const fatal = err instanceof SpecgridError && !err.retryable;
        if (!fatal && attempt < deps.maxDeliver) {
          log.warn({ err: message }, "could not open an engine session; retrying later");
          msg.nak(deps.retryDelayMs ?? 1_000);
          return "nak";
        }
        log.error({ err: message, fatal }, "shard cannot run; recording its cells as failed");
        const now = new Date().toISOString();
        const invalidReason = invalidReasonOf(err);
        for (const cell of pending) await publish(cell, { status: "failed", invalidReason, message }, now);
        msg.term();
        return "term";
      }
      try {
        for (const cell of runOrder(session.order, pending)) {
          if (signal.aborted || deps.isCancelled(sweepId)) break;
          const startedAt = new Date().toISOString();
          const measure = deps.measureNoise ?? ((c: Cell) => startHostNoise(engineThreadsOf(c)));
          const noise = await measure(cell);
          const outcome = await session.runCell(cell, signal);
          const figures = await noise.stop();
          if (signal.aborted) break;
          if (figures !== undefined && outcome.metrics !== undefined) {
            outcome.metrics.noise = figures;
            if (figures.contended)
              log.warn(
                { cell: cell.cellId, ...figures },
                "cell ran under contention: kept, never recommended from",
              );
          }
          await publish(cell, outcome, startedAt);
        }
      } finally {
        await session.close();
      }
    }
    if (deps.isCancelled(sweepId)) {
      log.info("sweep cancelled while running; terminating shard");
      msg.term();
      return "term";
    }
    if (signal.aborted) {
      // draining: hand the rest to another agent now rather than after ack_wait
      log.info("released (agent draining)");
      msg.nak();
      return "released";
    }
    await withRetry(() => msg.ackAck(), undefined, 20);
    log.info({ cells: shard.cells.length }, "shard done");
    return "acked";
  } catch (err) {
    if (signal.aborted) {
      msg.nak();
      return "released";
    }
    const message = err instanceof Error ? err.message : String(err);
    if (attempt < deps.maxDeliver) {
      log.error({ err: message }, "shard crashed; retrying later");
      msg.nak(deps.retryDelayMs ?? 1_000);
      return "nak";
    }
    log.error({ err: message }, "shard crashed on its last delivery; recording the rest as failed");
    const now = new Date().toISOString();
    for (const cell of pending) {
      if (!published.has(cell.cellId))
        await publish(cell, { status: "failed", invalidReason: "crashed", message }, now);
    }
    msg.term();
    return "term";
  } finally {
    clearInterval(keepAlive);
  }
}
