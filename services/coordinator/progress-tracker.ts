// Counts results per placement from SPECGRID_RESULTS. The stream is the source of truth: a (re)started
// coordinator replays it from the start, so progress survives restarts without a second copy. A placement
// counts once; a later valid result replaces an earlier failed one (a redelivered shard that succeeded).
// Per counted placement only what counting needs stays in memory (status, host, stream sequence, a message id
// that is not the default one, where its copy lies); the result itself goes to the ResultSpill while its
// sweep runs, so the coordinator can check the stream still holds it before it calls a sweep done, put it
// back if not, and read the sweep's results for adaptive precision, without holding 100,000 of them.
import { EventEmitter } from "node:events";
import type { CellResult } from "../../core/metrics.js";
import { resultMsgId } from "../../core/nats-names.js";
import { decodeCellResult, encodeCellResult } from "../../core/wire/nats-payloads.js";
import type { SweepEvent } from "../../core/wire/nats-payloads.js";
import type { ResultSpill, SpillRef } from "./result-spill.js";
import type { SettledCounts, SweepRecord } from "./sweep-record.js";

interface PlacementResult {
  status: CellResult["outcome"]["status"];
  hostId: string;
  stored?: StoredResult;
  /** Where the spill holds the result it was counted from; unset when no copy could be kept. */
  copy?: SpillRef;
}

/** Where the results stream delivered a counted result from. */
export interface StoredResult {
  seq: number;
  /** Its Nats-Msg-Id, when it had one. */
  msgId?: string;
}

/** A counted placement (for the durability check at completion); its result is read with copyOf(). */
export interface CountedPlacement {
  key: string;
  cellId: string;
  hostId: string;
  status: CellResult["outcome"]["status"];
  stored?: StoredResult;
  copy?: SpillRef;
}

interface SweepProgress {
  results: Map<string, PlacementResult>;
  /** Results that arrived before the sweep record was known (replay order), applied on track(). */
  early: { result: CellResult; stored?: StoredResult; bytes?: Uint8Array }[];
  /** Kept up to date on every counted result: reading progress is O(hosts), not O(results). */
  counts: ProgressCounts;
  /** The sweep ended: its counts are final and its per-placement state is gone. */
  settled: boolean;
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
  /** One string per host id: every decoded result carries its own copy of the same few ids. */
  private readonly hostIds = new Map<string, string>();
  /** Emits `event` (SweepEvent) for every counted result; watchers filter by sweep. */
  readonly events = new EventEmitter();

  /**
   * @param spill Where counted results of running sweeps are copied; without one no copies are kept (the
   *   durability check then cannot put back a result the stream lost).
   */
  constructor(
    private readonly onComplete: (rec: SweepRecord, counts: ProgressCounts) => Promise<void>,
    private readonly spill?: ResultSpill,
  ) {
    this.events.setMaxListeners(0);
  }

  private progress(sweepId: string): SweepProgress {
    let p = this.sweeps.get(sweepId);
    if (!p) {
      p = { results: new Map(), early: [], counts: emptyCounts(), settled: false };
      this.sweeps.set(sweepId, p);
    }
    return p;
  }

  private hostId(id: string): string {
    const known = this.hostIds.get(id);
    if (known !== undefined) return known;
    this.hostIds.set(id, id);
    return id;
  }

  /** Start counting a sweep (at submit, or at load after a restart). */
  async track(rec: SweepRecord): Promise<void> {
    this.records.set(rec.sweepId, rec);
    const p = this.progress(rec.sweepId);
    if (rec.settledCounts !== undefined) {
      // counted before it ended: its results in the stream are not replayed into memory again
      p.counts = countsFrom(rec.settledCounts);
      p.results = new Map();
      p.early = [];
      p.settled = true;
      return;
    }
    const early = p.early.splice(0);
    for (const r of early) await this.add(r.result, r.stored, r.bytes);
    await this.checkComplete(rec);
  }

  /**
   * Count a result; `stored` is the results-stream message it came from and `bytes` that message's data
   * (encoded again from `result` when not given).
   */
  async add(result: CellResult, stored?: StoredResult, bytes?: Uint8Array): Promise<void> {
    const p = this.progress(result.sweepId);
    if (p.settled) return;
    const rec = this.records.get(result.sweepId);
    if (!rec) {
      p.early.push({
        result,
        ...(stored === undefined ? {} : { stored }),
        ...(bytes === undefined ? {} : { bytes }),
      });
      return;
    }
    const key = placementKey(rec, result.cellId, result.hostId);
    const prev = p.results.get(key);
    const compact = stored === undefined ? undefined : compactStored(rec, result, stored);
    if (prev && (prev.status !== "failed" || result.outcome.status === "failed")) {
      // the same placement's result seen again (restored, or republished under another id): a message the
      // stream holds is the better witness for the durability check than one it may have lost
      if (compact !== undefined && prev.status === result.outcome.status) prev.stored = compact;
      return;
    }
    // a copy only while the sweep runs: a finished sweep is never checked or restored again
    let copy: SpillRef | undefined;
    if (this.spill !== undefined && rec.state === "running")
      // a copy that cannot be written (disk full, the sweep's file dropped meanwhile) costs only the chance
      // to restore this one result; the result still counts
      copy = await this.spill.append(rec.sweepId, bytes ?? encodeCellResult(result)).catch(() => undefined);
    if (p.settled) return; // the sweep ended while the copy was written
    const latest = p.results.get(key);
    if (latest !== prev) return; // a concurrent add for the same placement got there first
    if (prev) tally(p.counts, prev, -1);
    const placed: PlacementResult = {
      status: result.outcome.status,
      hostId: this.hostId(result.hostId),
      ...(compact === undefined ? {} : { stored: compact }),
      ...(copy === undefined ? {} : { copy }),
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
      cellId: key.slice(0, key.lastIndexOf("|")),
      hostId: r.hostId,
      status: r.status,
      ...(r.stored === undefined ? {} : { stored: r.stored }),
      ...(r.copy === undefined ? {} : { copy: r.copy }),
    }));
  }

  /** The encoded result a placement was counted from, as the stream delivered it; undefined when no copy. */
  async copyOf(sweepId: string, p: CountedPlacement): Promise<Uint8Array | undefined> {
    if (p.copy === undefined || this.spill === undefined) return undefined;
    return this.spill.read(sweepId, p.copy);
  }

  /**
   * The results every counted placement of a running sweep was counted from, in the order they arrived (one
   * pass over the sweep's copy). Placements without a copy are left out.
   */
  async *countedResults(sweepId: string): AsyncGenerator<CellResult> {
    if (this.spill === undefined) return;
    const withCopy = this.counted(sweepId).filter(
      (c): c is CountedPlacement & { copy: SpillRef } => c.copy !== undefined,
    );
    for await (const [, bytes] of this.spill.readAll(
      sweepId,
      withCopy.map((c) => ({ ref: c.copy })),
    ))
      yield decodeCellResult(bytes);
  }

  /**
   * The sweep ended (done, failed, cancelled): its counts are final (returned, to be stored with the sweep),
   * later results no longer count, and its per-placement state and copies are dropped.
   */
  async settle(sweepId: string): Promise<SettledCounts> {
    const p = this.progress(sweepId);
    p.settled = true;
    p.results = new Map();
    p.early = [];
    await this.spill?.drop(sweepId);
    const c = p.counts;
    return {
      done: c.done,
      valid: c.valid,
      invalid: c.invalid,
      failed: c.failed,
      perHost: Object.fromEntries([...c.perHost].map(([h, v]) => [h, { ...v }])),
    };
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

/** The stream position kept per placement: the message id only when it is not the placement's default. */
function compactStored(rec: SweepRecord, result: CellResult, stored: StoredResult): StoredResult {
  const usual = resultMsgId(rec.sweepId, result.cellId, rec.spread ? undefined : result.hostId);
  return stored.msgId === undefined || stored.msgId === usual ? { seq: stored.seq } : stored;
}

function placementKey(rec: SweepRecord, cellId: string, hostId: string): string {
  return `${cellId}|${rec.spread ? "any" : hostId}`;
}

function countsFrom(s: SettledCounts): ProgressCounts {
  const perHost = new Map(Object.entries(s.perHost).map(([h, v]) => [h, { ...v }]));
  return { done: s.done, valid: s.valid, invalid: s.invalid, failed: s.failed, perHost };
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
