// Counts results per placement from SPECGRID_RESULTS. The stream is the source of truth: a (re)started
// coordinator replays it from the start, so progress survives restarts without a second copy. A placement
// counts once; a later valid result replaces an earlier failed one (a redelivered shard that succeeded).
// Each counted placement keeps the result it was counted from (and its stream sequence), so the
// coordinator can check the stream still holds it before it calls a sweep done, and put it back if not.
import { EventEmitter } from "node:events";
import type { CellResult } from "../../core/metrics.js";
import type { SweepEvent } from "../../core/wire/nats-payloads.js";
import type { SweepRecord } from "./sweep-record.js";

interface PlacementResult {
  status: CellResult["outcome"]["status"];
  hostId: string;
  stored?: StoredResult;
}

/** Where the results stream delivered a counted result from. */
export interface StoredResult {
  seq: number;
  /** Its Nats-Msg-Id, when it had one. */
  msgId?: string;
}

/** A counted placement and the message it was counted from (for the durability check at completion). */
export interface CountedPlacement {
  key: string;
  result: CellResult;
  stored?: StoredResult;
}

interface SweepProgress {
  results: Map<string, PlacementResult & { result: CellResult }>;
  /** Results that arrived before the sweep record was known (replay order), applied on track(). */
  early: { result: CellResult; stored?: StoredResult }[];
  /** Kept up to date on every counted result: reading progress is O(hosts), not O(results). */
  counts: ProgressCounts;
}

export interface ProgressCounts {
  done: number;
  valid: number;
  invalid: number;
  failed: number;
  perHost: Map<string, { done: number; valid: number; failed: number }>;
}

export class ProgressTracker {
  private readonly sweeps = new Map<string, SweepProgress>();
  private readonly records = new Map<string, SweepRecord>();
  /** Emits `event` (SweepEvent) for every counted result; watchers filter by sweep. */
  readonly events = new EventEmitter();

  constructor(private readonly onComplete: (rec: SweepRecord, counts: ProgressCounts) => Promise<void>) {
    this.events.setMaxListeners(0);
  }

  private progress(sweepId: string): SweepProgress {
    let p = this.sweeps.get(sweepId);
    if (!p) {
      p = { results: new Map(), early: [], counts: emptyCounts() };
      this.sweeps.set(sweepId, p);
    }
    return p;
  }

  /** Start counting a sweep (at submit, or at load after a restart). */
  async track(rec: SweepRecord): Promise<void> {
    this.records.set(rec.sweepId, rec);
    const p = this.progress(rec.sweepId);
    const early = p.early.splice(0);
    for (const r of early) await this.add(r.result, r.stored);
    await this.checkComplete(rec);
  }

  /** Count a result; `stored` is the results-stream message it came from. */
  async add(result: CellResult, stored?: StoredResult): Promise<void> {
    const p = this.progress(result.sweepId);
    const rec = this.records.get(result.sweepId);
    if (!rec) {
      p.early.push(stored === undefined ? { result } : { result, stored });
      return;
    }
    const key = placementKey(rec, result.cellId, result.hostId);
    const prev = p.results.get(key);
    if (prev && (prev.status !== "failed" || result.outcome.status === "failed")) {
      // the same placement's result seen again (restored, or republished under another id): a message the
      // stream holds is the better witness for the durability check than one it may have lost
      if (stored !== undefined && prev.status === result.outcome.status) prev.stored = stored;
      return;
    }
    if (prev) tally(p.counts, prev, -1);
    const placed = {
      status: result.outcome.status,
      hostId: result.hostId,
      result,
      ...(stored === undefined ? {} : { stored }),
    };
    p.results.set(key, placed);
    tally(p.counts, placed, 1);
    const counts = p.counts;
    const event: SweepEvent = {
      sweepId: result.sweepId,
      kind: "cell-done",
      shardId: result.shardId,
      cellId: result.cellId,
      hostId: result.hostId,
      status: result.outcome.status,
      at: result.finishedAt,
      cellsDone: counts.done,
      cellsTotal: rec.placementsTotal,
    };
    this.events.emit("event", event);
    await this.checkComplete(rec);
  }

  /** Every counted placement of a sweep with the message it was counted from. */
  counted(sweepId: string): CountedPlacement[] {
    const p = this.sweeps.get(sweepId);
    if (!p) return [];
    return [...p.results].map(([key, r]) => ({
      key,
      result: r.result,
      ...(r.stored === undefined ? {} : { stored: r.stored }),
    }));
  }

  /** The placement key of a result in this sweep: the cell for spread, (cell, host) otherwise. */
  keyOf(sweepId: string, cellId: string, hostId: string): string {
    const rec = this.records.get(sweepId);
    return rec ? placementKey(rec, cellId, hostId) : `${cellId}|${hostId}`;
  }

  /** Tries completion again (after a durability check could not finish). */
  async recheck(sweepId: string): Promise<void> {
    const rec = this.records.get(sweepId);
    if (rec) await this.checkComplete(rec);
  }

  /** Whether the placement (cell on host, or cell anywhere for spread) has a result already. */
  hasResult(sweepId: string, cellId: string, hostId: string | undefined): boolean {
    const rec = this.records.get(sweepId);
    const key = `${cellId}|${rec?.spread || hostId === undefined ? "any" : hostId}`;
    return this.sweeps.get(sweepId)?.results.has(key) ?? false;
  }

  counts(sweepId: string): ProgressCounts {
    const c = this.sweeps.get(sweepId)?.counts ?? emptyCounts();
    const perHost = new Map([...c.perHost].map(([h, v]) => [h, { ...v }]));
    return { done: c.done, valid: c.valid, invalid: c.invalid, failed: c.failed, perHost };
  }

  private async checkComplete(rec: SweepRecord): Promise<void> {
    if (rec.state !== "running") return;
    const counts = this.counts(rec.sweepId);
    if (counts.done >= rec.placementsTotal) await this.onComplete(rec, counts);
  }
}

function placementKey(rec: SweepRecord, cellId: string, hostId: string): string {
  return `${cellId}|${rec.spread ? "any" : hostId}`;
}

function emptyCounts(): ProgressCounts {
  return { done: 0, valid: 0, invalid: 0, failed: 0, perHost: new Map() };
}

/** Adds (sign 1) or removes (sign -1) one placement's result from the running counts. */
function tally(c: ProgressCounts, r: PlacementResult, sign: 1 | -1): void {
  c.done += sign;
  if (r.status === "ok") c.valid += sign;
  else if (r.status === "invalid") c.invalid += sign;
  else c.failed += sign;
  const h = c.perHost.get(r.hostId) ?? { done: 0, valid: 0, failed: 0 };
  h.done += sign;
  if (r.status === "ok") h.valid += sign;
  if (r.status === "failed") h.failed += sign;
  c.perHost.set(r.hostId, h);
}
