// The coordinator's behaviour behind the RPCs: registry, submit (resolve → plan → place → publish),
// progress, cancel. Transport-free: grpc-server.ts adapts it to gRPC; state lives in JetStream.
import { randomBytes } from "node:crypto";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { SpecgridError } from "../../core/errors.js";
import type { CellResult } from "../../core/metrics.js";
import {
  JOBS_STREAM,
  eventsSubject,
  hostPool,
  jobsSubject,
  resultMsgId,
  resultsSubject,
  shardMsgId,
} from "../../core/nats-names.js";
import {
  decodeShard,
  encodeCellResult,
  encodeEvent,
  encodeShard,
  type SweepEvent,
} from "../../core/wire/nats-payloads.js";
import { shardToProto } from "../../core/wire/shard-wire.js";
import type { AgentInfo, AgentRegistration } from "../../core/agent-info.js";
import type { Shard } from "../../core/cell.js";
import type {
  HeartbeatRequest,
  HeartbeatResponse,
  SubmitSweepRequest,
  SubmitSweepResponse,
  SweepStatus,
} from "../../core/wire/generated.js";
import { AgentRegistry } from "./agent-registry.js";
import { hostEligibility } from "./host-eligibility.js";
import type { ParseManifestFn, PlanSweepFn, ResolvedTimeouts } from "./coordinator-options.js";
import { confirmStored } from "./confirm-stored.js";
import { ensurePoolConsumer } from "./jetstream-setup.js";
import { placeShards } from "./place-shards.js";
import type { ProgressCounts, ProgressTracker } from "./progress-tracker.js";
import { checkSpecHeads } from "./check-spec-heads.js";
import { resolveModels } from "./resolve-models.js";
import type { Manifest } from "../../core/manifest/manifest.js";
import type { ShardPlacement, SweepRecord, SweepRecords } from "./sweep-record.js";
import { planRepeats } from "../../core/plan/plan-sweep.js";
import { precisionRound, type PrecisionInput } from "../../core/plan/precision-round.js";

export interface CoordinatorDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
  registry: AgentRegistry;
  sweeps: SweepRecords;
  progress: ProgressTracker;
  parseManifest: ParseManifestFn;
  planSweep: PlanSweepFn;
  timeouts: ResolvedTimeouts;
  logger: Logger;
  /** Tells agents that pools or cancels changed (CONTROL_SUBJECT), so they need not wait for a heartbeat. */
  announce?: (e: { sweepId: string; kind: "submitted" | "cancelled" }) => void;
}

/** Shard publishes whose acks are awaited together at submit. */
const PUBLISH_WINDOW = 64;

function newSweepId(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40)}-${stamp}-${randomBytes(3).toString("hex")}`;
}

export class Coordinator {
  /** Sweeps whose completion (durability check) is under way, so it never runs twice at once. */
  private readonly completing = new Set<string>();
  /** Agents to tell at their next heartbeat to scan their model dirs again (a submit named a model none held). */
  private readonly rescanAsked = new Set<string>();
  /** Called with each registration's agent id (submits waiting on asked agents). */
  private readonly onRegister = new Set<(agentId: string) => void>();

  constructor(private readonly d: CoordinatorDeps) {}

  async register(req: AgentRegistration): Promise<AgentInfo> {
    const info = await this.d.registry.register(req);
    for (const f of this.onRegister) f(info.agentId);
    // the host pool exists before any every-host sweep so the agent can start pulling from it at once
    await ensurePoolConsumer(
      this.d.jsm,
      hostPool(info.agentId),
      this.d.timeouts.ackWaitMs,
      this.d.timeouts.maxDeliver,
    );
    this.d.logger.info({ agentId: info.agentId, models: info.models.length }, "agent registered");
    return info;
  }

  async heartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    const known = await this.d.registry.heartbeat(req.agentId, req.runningShards, req.instanceId);
    if (!known) return { pools: [], cancelledSweeps: [], reregister: true, rescanModels: false };
    const rescanModels = this.rescanAsked.delete(req.agentId);
    const rec = this.d.registry.get(req.agentId);
    const pools = new Set<string>([hostPool(req.agentId)]);
    const cancelledSweeps: string[] = [];
    for (const sweep of this.d.sweeps.all()) {
      if (sweep.state === "cancelled") cancelledSweeps.push(sweep.sweepId);
      if (sweep.state !== "running" || !rec) continue;
      for (const r of sweep.requirements) {
        if (hostEligibility(rec.info, r).eligible) pools.add(r.pool);
      }
    }
    return { pools: [...pools].sort(), cancelledSweeps, reregister: false, rescanModels };
  }

  async submit(req: SubmitSweepRequest): Promise<SubmitSweepResponse> {
    const manifest = this.d.parseManifest(req.manifestYaml, req.manifestName || "manifest.yaml");
    const resolved = await this.resolveOrRescan(manifest);
    const live = this.d.registry.live().map((r) => r.info);
    // head types (MTP, EAGLE-3, DFlash, DSpark) are refused here when a model lacks the heads
    checkSpecHeads(resolved, live);
    const plan = this.d.planSweep(resolved);
    const placed = placeShards(plan.shards, resolved.placement, live);
    const sweepId = newSweepId(resolved.name);
    const rec: SweepRecord = {
      sweepId,
      name: resolved.name,
      state: "running",
      submittedAt: new Date().toISOString(),
      manifestYaml: req.manifestYaml,
      manifestResolvedJson: JSON.stringify({ ...resolved, sourceText: undefined }),
      spread: resolved.placement === "spread",
      placements: placed.placements,
      placementsTotal: placed.placementsTotal,
      published: false,
      requirements: placed.requirements,
    };
    await this.d.sweeps.saveShards(sweepId, plan.shards);
    await this.d.sweeps.save(rec);
    await this.d.progress.track(rec);
    await this.publish(rec, plan.shards);
    this.d.logger.info(
      {
        sweep: sweepId,
        cells: plan.cells.length,
        shards: plan.shards.length,
        placements: placed.placementsTotal,
      },
      "sweep submitted",
    );
    return {
      sweepId,
      cells: plan.cells.length,
      shards: plan.shards.length,
      placements: placed.placementsTotal,
      warnings: plan.warnings,
    };
  }

  /**
   * resolveModels against the live agents. When a model is held by none, every live agent is asked (at its
   * next heartbeat) to scan its model dirs again and answers by registering again; the models are resolved
   * again after each answer, until they resolve, every agent answered, or two heartbeats and 5 s passed.
   */
  private async resolveOrRescan(manifest: Manifest): Promise<Manifest> {
    const attempt = (): Manifest =>
      resolveModels(
        manifest,
        this.d.registry.live().map((r) => r.info),
      );
    const notHeld = (err: unknown): boolean => err instanceof SpecgridError && err.code === "MODEL_NOT_FOUND";
    try {
      return attempt();
    } catch (err) {
      const waiting = new Set(this.d.registry.live().map((r) => r.info.agentId));
      if (!notHeld(err) || waiting.size === 0) throw err;
      const waitMs = this.d.timeouts.heartbeatMs * 2 + 5_000;
      this.d.logger.info(
        { agents: [...waiting], waitMs, reason: (err as Error).message },
        "model not held: agents asked to rescan their model dirs",
      );
      for (const id of waiting) this.rescanAsked.add(id);
      let wake: (() => void) | undefined;
      const listener = (agentId: string): void => {
        if (waiting.delete(agentId)) wake?.();
      };
      this.onRegister.add(listener);
      const deadline = Date.now() + waitMs;
      try {
        while (waiting.size > 0 && Date.now() < deadline) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          try {
            return attempt();
          } catch (again) {
            if (!notHeld(again)) throw again;
          }
        }
      } finally {
        this.onRegister.delete(listener);
        for (const id of waiting) this.rescanAsked.delete(id);
      }
      try {
        return attempt();
      } catch (last) {
        if (!notHeld(last)) throw last;
        const e = last as SpecgridError;
        throw new SpecgridError(
          e.code,
          `${e.message} (the agents scanned their model dirs again and found nothing new${
            waiting.size > 0 ? `; ${[...waiting].join(", ")} did not answer within ${waitMs} ms` : ""
          })`,
          { details: e.details },
        );
      }
    }
  }

  /**
   * Publishes the sweep's placements (or only `placements`, a round of added repeats) of `shards`; safe to
   * repeat (message ids dedupe within the window).
   */
  async publish(
    rec: SweepRecord,
    shards: readonly Shard[],
    placements: readonly ShardPlacement[] = rec.placements,
  ): Promise<void> {
    const byId = new Map(shards.map((s) => [s.shardId, s]));
    // one consumer lookup per pool, then the shards in windows of acks in flight: one round trip after
    // another per shard took a 100,000-cell sweep (2,000 shards) past the client's deadline on a loaded box
    for (const pool of new Set(placements.map((p) => p.pool)))
      await ensurePoolConsumer(this.d.jsm, pool, this.d.timeouts.ackWaitMs, this.d.timeouts.maxDeliver);
    for (let i = 0; i < placements.length; i += PUBLISH_WINDOW) {
      await Promise.all(
        placements.slice(i, i + PUBLISH_WINDOW).map(async (p) => {
          const shard = byId.get(p.shardId);
          if (!shard) return;
          const job =
            p.hostId === undefined
              ? { sweepId: rec.sweepId, shard }
              : { sweepId: rec.sweepId, shard, hostId: p.hostId };
          await this.d.js.publish(jobsSubject(p.pool), encodeShard(job), {
            msgID: shardMsgId(rec.sweepId, shard.shardId, p.hostId),
          });
        }),
      );
    }
    rec.published = true;
    await this.d.sweeps.save(rec);
    await this.emit({ sweepId: rec.sweepId, kind: "submitted", cellsTotal: rec.placementsTotal });
    this.d.announce?.({ sweepId: rec.sweepId, kind: "submitted" });
  }

  /** A sweep's progress; manifests and shards are left empty (getSweep() carries them). */
  status(sweepId: string): SweepStatus {
    const rec = this.d.sweeps.get(sweepId);
    if (!rec) {
      throw new SpecgridError(
        "NOT_FOUND",
        `no sweep "${sweepId}" on this coordinator; \`specgrid sweep list\` shows them`,
      );
    }
    const counts = this.d.progress.counts(sweepId);
    const running = new Map<string, string>();
    const names = new Map<string, string>();
    for (const a of this.d.registry.all()) {
      names.set(a.agentId, a.name);
      const current = a.runningShards.find((s) => s.startsWith(`${sweepId}/`));
      if (current) running.set(a.agentId, current.slice(sweepId.length + 1));
    }
    const hostIds = new Set([...counts.perHost.keys(), ...running.keys()]);
    return {
      sweepId,
      name: rec.name,
      state: rec.state,
      placementsTotal: rec.placementsTotal,
      done: counts.done,
      valid: counts.valid,
      invalid: counts.invalid,
      failed: counts.failed,
      submittedAt: rec.submittedAt,
      finishedAt: rec.finishedAt,
      hosts: [...hostIds].sort().map((h) => ({
        hostId: h,
        name: names.get(h) ?? h,
        done: counts.perHost.get(h)?.done ?? 0,
        valid: counts.perHost.get(h)?.valid ?? 0,
        failed: counts.perHost.get(h)?.failed ?? 0,
        currentShard: running.get(h),
      })),
      manifestResolvedJson: "",
      manifestYaml: "",
      shards: [],
    };
  }

  /** A sweep's progress with its manifests and every shard (read from the bucket, not held in memory). */
  async getSweep(sweepId: string): Promise<SweepStatus> {
    const status = this.status(sweepId);
    const rec = this.d.sweeps.get(sweepId)!;
    const shards = await this.d.sweeps.shards(sweepId);
    return {
      ...status,
      manifestResolvedJson: rec.manifestResolvedJson,
      manifestYaml: rec.manifestYaml,
      shards: shards.map((shard) => shardToProto({ sweepId, shard })),
    };
  }

  agents(): AgentInfo[] {
    return this.d.registry.all();
  }

  list(): SweepStatus[] {
    return this.d.sweeps.all().map((r) => this.status(r.sweepId));
  }

  async cancel(sweepId: string): Promise<SweepStatus> {
    const rec = this.d.sweeps.get(sweepId);
    if (!rec) throw new SpecgridError("NOT_FOUND", `no sweep "${sweepId}" on this coordinator`);
    if (rec.state === "running") {
      rec.state = "cancelled";
      rec.finishedAt = new Date().toISOString();
      rec.settledCounts = await this.d.progress.settle(sweepId);
      await this.d.sweeps.save(rec);
      await this.emit({ sweepId, kind: "cancelled", cellsTotal: rec.placementsTotal });
      this.d.announce?.({ sweepId, kind: "cancelled" });
      this.d.logger.info({ sweep: sweepId }, "sweep cancelled");
    }
    return this.status(sweepId);
  }

  /**
   * A shard that used up max_deliver without its holder recording anything (the agent died on the last
   * delivery): record its unfinished cells as failed, so the sweep can end, and drop the message, which a
   * work queue would otherwise keep forever.
   */
  async giveUp(streamSeq: number): Promise<void> {
    const stored = await this.d.jsm.streams.getMessage(JOBS_STREAM, { seq: streamSeq }).catch(() => null);
    if (!stored) return; // acked or terminated meanwhile
    const job = decodeShard(stored.data);
    const rec = this.d.sweeps.get(job.sweepId);
    const now = new Date().toISOString();
    if (rec?.state === "running") {
      for (const cell of job.shard.cells) {
        if (this.d.progress.hasResult(job.sweepId, cell.cellId, job.hostId)) continue;
        const result: CellResult = {
          sweepId: job.sweepId,
          cellId: cell.cellId,
          hostId: job.hostId ?? "unassigned",
          shardId: job.shard.shardId,
          attempt: this.d.timeouts.maxDeliver,
          engine: cell.engine,
          outcome: {
            status: "failed",
            invalidReason: "crashed",
            message: `shard delivered ${this.d.timeouts.maxDeliver} times without finishing (its agents died or stalled)`,
          },
          startedAt: now,
          finishedAt: now,
        };
        await this.d.js.publish(resultsSubject(job.sweepId), encodeCellResult(result), {
          msgID: `${resultMsgId(job.sweepId, cell.cellId, job.hostId)}.failed-max`,
        });
      }
    }
    await this.d.jsm.streams.deleteMessage(JOBS_STREAM, streamSeq).catch(() => false);
    this.d.logger.warn(
      { sweep: job.sweepId, shard: job.shard.shardId },
      "shard exhausted its deliveries; cells recorded failed",
    );
  }

  /**
   * Called by the progress tracker when every placement has a result. The sweep is called done only once the
   * results stream is read back and holds every counted result (lost ones are published again); when that
   * check cannot finish (NATS down or still electing) the sweep stays running and completion is retried.
   */
  /**
   * Adaptive precision (manifest sweep.precision, core/plan/precision-round): when every placement has a
   * result, groups whose interval is still wider than asked get one more repeat, published as new shards.
   * Returns whether a round was added (the sweep then runs on).
   */
  private async addPrecisionRepeats(rec: SweepRecord): Promise<boolean> {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(rec.manifestResolvedJson) as Manifest;
    } catch {
      return false;
    }
    if (manifest.sweep?.precision === undefined) return false;
    // both read back for this round only: the shard list from the bucket, the results from the tracker's copy
    const planned = await this.d.sweeps.shards(rec.sweepId);
    const cells = new Map(planned.flatMap((sh) => sh.cells.map((c) => [c.cellId, c] as const)));
    const inputs: PrecisionInput[] = [];
    for await (const result of this.d.progress.countedResults(rec.sweepId)) {
      const cell = cells.get(result.cellId);
      if (cell === undefined) continue;
      inputs.push({
        hostId: result.hostId,
        cellId: result.cellId,
        cell,
        status: result.outcome.status,
        ...(result.outcome.metrics === undefined ? {} : { metrics: result.outcome.metrics }),
      });
    }
    const round = precisionRound(manifest, inputs);
    if (round.select === undefined) {
      if (round.unstable.length > 0)
        this.d.logger.warn(
          { sweep: rec.sweepId, unstable: round.unstable.length, relCi: manifest.sweep.precision.relCi },
          "groups still wider than sweep.precision.rel_ci at max_repeats: marked unstable",
        );
      return false;
    }
    const shards = planRepeats(manifest, round.select);
    const placed = placeShards(
      shards,
      manifest.placement,
      this.d.registry.live().map((r) => r.info),
    );
    if (placed.placementsTotal === 0) return false;
    await this.d.sweeps.saveShards(rec.sweepId, [...planned, ...shards]);
    rec.placements.push(...placed.placements);
    rec.placementsTotal += placed.placementsTotal;
    for (const req of placed.requirements)
      if (!rec.requirements.some((r) => r.pool === req.pool)) rec.requirements.push(req);
    await this.d.sweeps.save(rec);
    await this.publish(rec, shards, placed.placements);
    this.d.logger.info(
      {
        sweep: rec.sweepId,
        repeat: round.select.repeats[0],
        groups: round.select.groups.size,
        placements: placed.placementsTotal,
        relCi: manifest.sweep.precision.relCi,
      },
      "precision: groups wider than rel_ci get another repeat",
    );
    return true;
  }

  async complete(rec: SweepRecord, counts: ProgressCounts): Promise<void> {
    if (this.completing.has(rec.sweepId)) return;
    this.completing.add(rec.sweepId);
    try {
      if (rec.state === "running" && (await this.addPrecisionRepeats(rec))) return;
      const confirmed = await confirmStored(
        {
          js: this.d.js,
          jsm: this.d.jsm,
          logger: this.d.logger,
          keyOf: (cellId, hostId) => this.d.progress.keyOf(rec.sweepId, cellId, hostId),
        },
        rec.sweepId,
        () => this.d.progress.counted(rec.sweepId),
        (p) => this.d.progress.copyOf(rec.sweepId, p),
      );
      if (confirmed.restored > 0)
        this.d.logger.warn(
          { sweep: rec.sweepId, restored: confirmed.restored },
          "results lost from the stream were published again before the sweep was called done",
        );
    } catch (err) {
      this.d.logger.warn(
        { sweep: rec.sweepId, err: err instanceof Error ? err.message : String(err) },
        "every placement has a result, but the results stream could not be confirmed to hold them; retrying",
      );
      return;
    } finally {
      this.completing.delete(rec.sweepId);
    }
    if (rec.state !== "running") return; // cancelled while the stream was read back
    counts = this.d.progress.counts(rec.sweepId);
    rec.state = counts.valid + counts.invalid === 0 && counts.failed > 0 ? "failed" : "done";
    rec.finishedAt = new Date().toISOString();
    // the counts the state was decided on are the ones stored: nothing counts between the two
    rec.settledCounts = await this.d.progress.settle(rec.sweepId);
    await this.d.sweeps.save(rec);
    await this.emit({
      sweepId: rec.sweepId,
      kind: "sweep-done",
      status: rec.state,
      cellsTotal: rec.placementsTotal,
    });
    this.d.logger.info(
      { sweep: rec.sweepId, state: rec.state, ...counts, perHost: undefined },
      "sweep finished",
    );
  }

  private async emit(e: Omit<SweepEvent, "at" | "cellsDone">): Promise<void> {
    const event: SweepEvent = {
      ...e,
      at: new Date().toISOString(),
      cellsDone: this.d.progress.counts(e.sweepId).done,
    };
    this.d.progress.events.emit("event", event);
    try {
      await this.d.js.publish(eventsSubject(e.sweepId), encodeEvent(event));
    } catch (err) {
      // events are informational; losing one must not fail the RPC that caused it
      this.d.logger.warn({ sweep: e.sweepId, err: String(err) }, "could not publish event");
    }
  }
}
