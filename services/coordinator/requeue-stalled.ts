// A sweep that cannot finish by itself: some placements have no counted result, yet no agent runs any of
// its shards and none of its pools holds a message. That happens when a result is lost before the
// coordinator saw it (the agent wrote the done-mark and acked the shard, but the result never reached the
// stream): every redelivery would skip the cell as done, and the sweep would wait forever. After
// `requeueAfterMs` without a counted result, the missing placements' done-marks are removed and their cells
// published again as shards of their own (the same shard id, fewer cells, a new message id), so any eligible
// agent runs them; results dedupe per placement, so a late original costs nothing but the rerun.
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { Logger } from "pino";
import type { Cell, Shard } from "../../core/cell.js";
import { JOBS_STREAM, doneKey, jobsSubject, shardMsgId } from "../../core/nats-names.js";
import { encodeShard } from "../../core/wire/nats-payloads.js";
import type { AgentRegistry } from "./agent-registry.js";
import type { ProgressTracker } from "./progress-tracker.js";
import type { SweepRecord } from "./sweep-record.js";

export interface RequeueDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
  done: KV;
  registry: AgentRegistry;
  progress: ProgressTracker;
  /** The sweep's shard list (read from the bucket: the coordinator does not hold it). */
  shards(sweepId: string): Promise<Shard[]>;
  logger: Logger;
  /** Quiet time (no counted result, nothing running or queued) before missing cells are published again. */
  requeueAfterMs: number;
  now?: () => number;
}

export class StalledSweeps {
  /** Per running sweep: when it last made progress (a counted result, its publish, a requeue). */
  private readonly lastProgressMs = new Map<string, number>();
  private readonly rounds = new Map<string, number>();
  private readonly checking = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly d: RequeueDeps) {
    this.now = d.now ?? Date.now;
    d.progress.events.on("event", (e: { sweepId: string }) => this.lastProgressMs.set(e.sweepId, this.now()));
  }

  /**
   * Publishes the missing placements of `rec` again when it has stalled; returns how many cells. Cheap when
   * it has not (a map lookup); a stalled sweep costs one pass over its placements.
   */
  async check(rec: SweepRecord): Promise<number> {
    if (rec.state !== "running" || !rec.published) {
      this.lastProgressMs.delete(rec.sweepId);
      return 0;
    }
    const last = this.lastProgressMs.get(rec.sweepId);
    if (last === undefined) {
      this.lastProgressMs.set(rec.sweepId, this.now());
      return 0;
    }
    if (this.now() - last < this.d.requeueAfterMs) return 0;
    if (this.d.progress.counts(rec.sweepId).done >= rec.placementsTotal) return 0;
    if (this.running(rec.sweepId) || this.checking.has(rec.sweepId)) return 0;
    this.checking.add(rec.sweepId);
    try {
      const pools = [...new Set(rec.placements.map((p) => p.pool))];
      if (!(await this.poolsDrained(pools))) return 0;
      return await this.requeue(rec);
    } finally {
      this.checking.delete(rec.sweepId);
    }
  }

  /** Whether any live agent reports a shard of this sweep at its last heartbeat. */
  private running(sweepId: string): boolean {
    return this.d.registry.live().some((a) => a.info.runningShards.some((s) => s.startsWith(`${sweepId}/`)));
  }

  /** Every pool's consumer has nothing undelivered and nothing delivered but unacked. */
  private async poolsDrained(pools: string[]): Promise<boolean> {
    for (const pool of pools) {
      try {
        const ci = await this.d.jsm.consumers.info(JOBS_STREAM, pool);
        if (ci.num_pending > 0 || ci.num_ack_pending > 0) return false;
      } catch {
        return false; // cannot tell: wait for the next check
      }
    }
    return true;
  }

  private async requeue(rec: SweepRecord): Promise<number> {
    const round = (this.rounds.get(rec.sweepId) ?? 0) + 1;
    this.rounds.set(rec.sweepId, round);
    const shards = new Map((await this.d.shards(rec.sweepId)).map((s) => [s.shardId, s]));
    let cells = 0;
    for (const p of rec.placements) {
      const shard = shards.get(p.shardId);
      if (!shard) continue;
      const missing: Cell[] = shard.cells.filter(
        (c) => !this.d.progress.hasResult(rec.sweepId, c.cellId, p.hostId),
      );
      if (missing.length === 0) continue;
      // the done-marks would make every agent skip these cells: they claim results the stream never got
      for (const c of missing) await this.d.done.delete(doneKey(rec.sweepId, c.cellId, p.hostId));
      const job = {
        sweepId: rec.sweepId,
        shard: {
          ...shard,
          cells: missing,
          estimatedMs: (shard.estimatedMs * missing.length) / shard.cells.length,
        },
        ...(p.hostId === undefined ? {} : { hostId: p.hostId }),
      };
      await this.d.js.publish(jobsSubject(p.pool), encodeShard(job), {
        msgID: `${shardMsgId(rec.sweepId, shard.shardId, p.hostId)}.requeue-${round}`,
      });
      cells += missing.length;
    }
    this.lastProgressMs.set(rec.sweepId, this.now());
    if (cells > 0)
      this.d.logger.warn(
        { sweep: rec.sweepId, cells, round, quietMs: this.d.requeueAfterMs },
        "placements without a result, nothing running or queued: their cells were published again",
      );
    return cells;
  }
}
