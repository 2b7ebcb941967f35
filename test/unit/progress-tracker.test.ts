import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CellResult, CellStatus } from "../../core/metrics.js";
import { decodeCellResult, encodeCellResult } from "../../core/wire/nats-payloads.js";
import { ProgressTracker, type ProgressCounts } from "../../services/coordinator/progress-tracker.js";
import { ResultSpill } from "../../services/coordinator/result-spill.js";
import type { SweepRecord } from "../../services/coordinator/sweep-record.js";

const record = (spread: boolean, placementsTotal: number): SweepRecord => ({
  sweepId: "sw",
  name: "sw",
  state: "running",
  submittedAt: "2026-11-28T00:00:00Z",
  manifestYaml: "",
  manifestResolvedJson: "{}",
  spread,
  placements: [],
  placementsTotal,
  published: true,
  requirements: [],
});

const result = (cellId: string, hostId: string, status: CellStatus): CellResult => ({
  sweepId: "sw",
  cellId,
  hostId,
  shardId: "sh",
  attempt: 1,
  engine: "in-process",
  outcome: { status },
  startedAt: "",
  finishedAt: "",
});

describe("ProgressTracker", () => {
  it("counts each placement once, lets a valid retry replace a failure, and completes once", async () => {
    const completed: ProgressCounts[] = [];
    const t = new ProgressTracker((_rec, counts) => {
      completed.push(counts);
      return Promise.resolve();
    });
    await t.track(record(true, 3));
    await t.add(result("a", "h1", "failed"));
    await t.add(result("a", "h2", "ok")); // spread: the same placement, now valid on another host
    await t.add(result("a", "h1", "failed")); // a late failure never replaces a valid result
    await t.add(result("b", "h1", "invalid"));
    await t.add(result("b", "h2", "ok")); // invalid is not failed: the first one stands
    expect(t.counts("sw")).toMatchObject({ done: 2, valid: 1, invalid: 1, failed: 0 });
    expect(t.counts("sw").perHost.get("h1")).toEqual({ done: 1, valid: 0, failed: 0 });
    expect(t.counts("sw").perHost.get("h2")).toEqual({ done: 1, valid: 1, failed: 0 });
    expect(completed).toHaveLength(0);
    await t.add(result("c", "h1", "failed"));
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ done: 3, valid: 1, invalid: 1, failed: 1 });
  });

  it("every-host sweeps count (cell, host) pairs, and results seen before the record are applied at track()", async () => {
    const t = new ProgressTracker(() => Promise.resolve());
    await t.add(result("a", "h1", "ok"));
    expect(t.counts("sw").done).toBe(0);
    await t.track(record(false, 4));
    await t.add(result("a", "h2", "ok"));
    await t.add(result("a", "h2", "ok"));
    expect(t.counts("sw")).toMatchObject({ done: 2, valid: 2 });
    expect(t.hasResult("sw", "a", "h1")).toBe(true);
    expect(t.hasResult("sw", "b", "h1")).toBe(false);
  });

  it("a sweep stored with settled counts takes them and does not count its replayed results again", async () => {
    const t = new ProgressTracker(() => Promise.reject(new Error("an ended sweep never completes again")));
    const perHost = { h1: { done: 2, valid: 1, failed: 1 } };
    await t.track({
      ...record(true, 2),
      state: "done",
      settledCounts: { done: 2, valid: 1, invalid: 0, failed: 1, perHost },
    });
    await t.add(result("a", "h1", "ok"));
    await t.add(result("b", "h2", "ok"));
    expect(t.counts("sw")).toMatchObject({ done: 2, valid: 1, invalid: 0, failed: 1 });
    expect([...t.counts("sw").perHost]).toEqual([["h1", { done: 2, valid: 1, failed: 1 }]]);
    expect(t.counted("sw")).toEqual([]);
  });

  it("hands out copies: a caller changing its counts does not change the tracker's", async () => {
    const t = new ProgressTracker(() => Promise.resolve());
    await t.track(record(true, 5));
    await t.add(result("a", "h1", "ok"));
    const c = t.counts("sw");
    c.done = 99;
    c.perHost.get("h1")!.done = 99;
    expect(t.counts("sw").done).toBe(1);
    expect(t.counts("sw").perHost.get("h1")!.done).toBe(1);
  });

  describe("with a result spill", () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it("keeps each counted result on disk, not in memory, and hands back the one it was counted from", async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-spill-"));
      const spill = new ResultSpill(dir);
      const t = new ProgressTracker(() => Promise.resolve(), spill);
      await t.track(record(true, 10));
      const failed = result("a", "h1", "failed");
      const ok = { ...result("a", "h2", "ok"), attempt: 2 };
      await t.add(failed, { seq: 1, msgId: "sw.a.any.failed-1" }, encodeCellResult(failed));
      await t.add(ok, { seq: 2, msgId: "sw.a.any" }); // no bytes given: encoded from the result
      await t.add(result("b", "h1", "invalid"), { seq: 3 });
      const counted = t.counted("sw");
      expect(counted.map((c) => [c.key, c.cellId, c.hostId, c.status])).toEqual([
        ["a|any", "a", "h2", "ok"],
        ["b|any", "b", "h1", "invalid"],
      ]);
      // the default message id is implied, not held; any other is kept
      expect(counted[0]!.stored).toEqual({ seq: 2 });
      const copy = await t.copyOf("sw", counted[0]!);
      expect(decodeCellResult(copy!)).toMatchObject({
        cellId: "a",
        hostId: "h2",
        attempt: 2,
        outcome: { status: "ok" },
      });
      const all: CellResult[] = [];
      for await (const r of t.countedResults("sw")) all.push(r);
      expect(all.map((r) => [r.cellId, r.hostId, r.outcome.status])).toEqual([
        ["a", "h2", "ok"],
        ["b", "h1", "invalid"],
      ]);
      expect(await readdir(dir)).toEqual(["sw.results"]);
      const settled = await t.settle("sw");
      expect(settled).toEqual({
        done: 2,
        valid: 1,
        invalid: 1,
        failed: 0,
        perHost: { h1: { done: 1, valid: 0, failed: 0 }, h2: { done: 1, valid: 1, failed: 0 } },
      });
      // the ended sweep keeps its counts, nothing per placement, no copies, and counts nothing more
      expect(await readdir(dir)).toEqual([]);
      expect(t.counted("sw")).toEqual([]);
      expect(await t.copyOf("sw", counted[0]!)).toBeUndefined();
      await t.add(result("c", "h1", "ok"), { seq: 4 });
      expect(t.counts("sw")).toMatchObject({ done: 2, valid: 1, invalid: 1 });
      await spill.close();
    });

    it("copies nothing for a sweep that is no longer running", async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-spill-"));
      const spill = new ResultSpill(dir);
      const t = new ProgressTracker(() => Promise.resolve(), spill);
      await t.track({ ...record(true, 1), state: "done" });
      await t.add(result("a", "h1", "ok"), { seq: 1 });
      expect(t.counts("sw").done).toBe(1);
      expect(t.counted("sw")[0]!.copy).toBeUndefined();
      expect(await readdir(dir)).toEqual([]);
      await spill.close();
    });
  });
});
