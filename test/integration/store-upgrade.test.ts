// A results database written by an earlier version (test/fixtures/store-v1: metrics in columns and as a
// JSON blob, made at commit aa0f83e) opens with the current migrations, reads back what that version read,
// reports, and takes new results.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { analyzeSweep } from "../../cli/report/analyze-sweep.js";
import { writeReport } from "../../cli/report/write-report.js";
import { openStore, type Store } from "../../cli/store/open-store.js";
import type { StoredResult, SweepSummary } from "../../cli/store/store-records.js";

const FIXTURE = path.resolve(import.meta.dirname, "../fixtures/store-v1");
const old = JSON.parse(readFileSync(path.join(FIXTURE, "results-v1.json"), "utf8")) as {
  summaries: SweepSummary[];
  results: StoredResult[];
};

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "specgrid-store-upgrade-"));
  // a copy: opening migrates the file, and the fixture must stay what the old version wrote
  copyFileSync(path.join(FIXTURE, "results-v1.sqlite"), path.join(dir, "results.sqlite"));
  store = openStore(path.join(dir, "results.sqlite"), { create: false });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a database written by the previous schema", () => {
  it("reads back every result, metric and cell that version read, with metrics kept once", () => {
    expect(old.results).toHaveLength(48);
    expect(store.listSweeps()).toEqual(old.summaries);
    expect(store.results("sw-v1")).toEqual(old.results);
    // the fields only one result carried, and the failed one without metrics, came through
    const full = store.results("sw-v1").find((r) => r.metrics?.loadId === "load-1");
    expect(full?.metrics).toMatchObject({
      text: "Once upon a time",
      perSequenceTps: [40.5, 41.25],
      warmup: { nDecoded: 8, wallMs: 120.5, decodeTps: 66.4 },
      loadMs: 812.25,
    });
    const failed = store.results("sw-v1").filter((r) => r.status === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ stderrTail: "segfault at 0x0\n" });
    expect(failed[0]!.metrics).toBeUndefined();
    const columns = store.sqlite
      .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('results')")
      .all()
      .map((c) => c.name);
    expect(columns).toContain("noise");
    expect(columns).not.toContain("metrics");
    expect(columns).not.toContain("contended");
  });

  it("reports as that version's results would", async () => {
    const report = await writeReport({ store, sweepId: "sw-v1", outDir: path.join(dir, "out") });
    expect(report.analysis).toEqual(analyzeSweep("sw-v1", old.results, store.models()));
    expect(report.analysis.counts).toMatchObject({ results: 48, ok: 44, invalid: 3, failed: 1 });
    // host noise (a nested record in its own column now) still marks the contended runs
    const contended = report.analysis.baselines.reduce((n, b) => n + (b.contention?.contended ?? 0), 0);
    expect(contended).toBeGreaterThan(0);
    expect(report.analysis.loads.find((l) => l.hostId === "host-a100")?.loadMs).toBe(812.25);
    expect(readFileSync(path.join(dir, "out", "report.md"), "utf8")).toContain("sw-v1");
  });

  it("takes new results and knows the old ones when they are delivered again", () => {
    const again = old.results.filter((r) => r.status === "ok").slice(0, 3);
    const counts = store.ingestResults(
      again.map((r) => ({
        sweepId: r.sweepId,
        cellId: r.cellId,
        hostId: r.hostId,
        shardId: r.shardId,
        attempt: r.attempt,
        engine: r.engine,
        outcome: { status: r.status, ...(r.metrics === undefined ? {} : { metrics: r.metrics }) },
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
      })),
    );
    expect(counts).toEqual({ inserted: 0, updated: 0, duplicates: 3 });
    const fresh = { ...again[0]!, cellId: "new-cell" };
    expect(
      store.ingestResults([
        {
          ...fresh,
          outcome: { status: "ok", metrics: fresh.metrics! },
        },
      ]),
    ).toEqual({ inserted: 1, updated: 0, duplicates: 0 });
    expect(store.results("sw-v1").find((r) => r.cellId === "new-cell")?.metrics).toEqual(fresh.metrics);
  });
});
