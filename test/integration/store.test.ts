// The store against real SQLite files in temp dirs.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import type { CellResult } from "../../core/metrics.js";
import { openStore, type Store } from "../../cli/store/open-store.js";
import { StoreError } from "../../cli/store/store-error.js";
import { fakeSweep } from "../support/fake-results.js";

let dir: string;
const opened: Store[] = [];
const open = (name = "results.sqlite"): Store => {
  const s = openStore(path.join(dir, name));
  opened.push(s);
  return s;
};
const digest = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "specgrid-store-"));
});
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("openStore", () => {
  it("creates a WAL database with foreign keys, migrations and a stable db id", () => {
    const s = open();
    expect(s.sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(s.sqlite.pragma("foreign_keys", { simple: true })).toBe(1);
    const id = s.dbId;
    s.close();
    opened.pop();
    expect(open().dbId).toBe(id);
  });

  it.each([
    ["text file", (f: string) => writeFileSync(f, "not a database at all\n".repeat(100)), "STORE_NOT_SQLITE"],
    [
      "another program's SQLite database",
      (f: string) => {
        const db = new Database(f);
        db.exec(
          "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)",
        );
        db.close();
      },
      "STORE_FOREIGN",
    ],
    [
      "a SQLite file with damaged pages",
      (f: string) => {
        const db = new Database(f);
        db.exec("CREATE TABLE t (x TEXT)");
        const ins = db.prepare("INSERT INTO t VALUES (?)");
        db.transaction(() => {
          for (let i = 0; i < 2000; i++) ins.run(`row ${i} `.repeat(20));
        })();
        db.close();
        const bytes = readFileSync(f);
        // Keep the header, scribble over the b-tree pages.
        for (let i = 4096; i < bytes.length; i += 7) bytes[i] = (i * 31) & 0xff;
        writeFileSync(f, bytes);
      },
      "STORE_CORRUPT",
    ],
  ])("refuses %s with a clear message and leaves its bytes unchanged", (_name, make, code) => {
    const file = path.join(dir, "other.db");
    make(file);
    const before = digest(file);
    let caught: unknown;
    try {
      openStore(file);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StoreError);
    expect((caught as StoreError).code).toBe(code);
    expect((caught as StoreError).message).toContain(file);
    expect((caught as StoreError).message).toMatch(/--db/);
    expect(digest(file)).toBe(before);
  });
});

describe("ingestResults", () => {
  const data = fakeSweep({ seed: 7, repeats: 2, concurrency: [] });

  it("stores the same result once, however often it arrives", () => {
    const s = open();
    const first = s.ingestResults(data.results);
    expect(first).toEqual({ inserted: data.results.length, updated: 0, duplicates: 0 });
    const again = s.ingestResults(data.results);
    expect(again).toEqual({ inserted: 0, updated: 0, duplicates: data.results.length });
    // Redelivery inside one batch (at-least-once stream) also lands once.
    const one = data.results[0]!;
    expect(s.ingestResults([one, one, one])).toEqual({ inserted: 0, updated: 0, duplicates: 3 });
    expect(s.results("sw-fake")).toHaveLength(data.results.length);
  });

  it("sorts out a batch that mixes new results, stored ones and repeats of a new one", () => {
    const s = open();
    const [a, b, c, d] = data.results as [CellResult, CellResult, CellResult, CellResult];
    s.ingestResults([a, b]);
    // c arrives twice in the batch, the second time as a newer attempt: the first is inserted, the second
    // replaces it; a and b were stored before; d is new. Over 100 rows, so the mix spans two INSERTs.
    const fresh = data.results.slice(4, 150);
    const batch = [a, c, d, b, { ...c, attempt: c.attempt + 1 }, ...fresh, a];
    expect(s.ingestResults(batch)).toEqual({ inserted: 2 + fresh.length, updated: 1, duplicates: 3 });
    const stored = s.results("sw-fake");
    expect(stored).toHaveLength(4 + fresh.length);
    expect(stored.find((r) => r.cellId === c.cellId && r.hostId === c.hostId)!.attempt).toBe(c.attempt + 1);
  });

  it("keeps a valid result when a failed duplicate arrives later, and takes a valid retry of a failure", () => {
    const s = open();
    const ok = data.results[1]!;
    const failed: CellResult = {
      ...ok,
      attempt: 2,
      outcome: { status: "failed", invalidReason: "crashed", message: "segfault", stderrTail: "boom" },
      finishedAt: "2026-12-01T00:00:00.000Z",
    };
    s.ingestResults([ok]);
    expect(s.ingestResults([failed])).toEqual({ inserted: 0, updated: 0, duplicates: 1 });
    expect(s.results()[0]!.status).toBe("ok");

    const other = data.results[2]!;
    s.ingestResults([{ ...failed, cellId: other.cellId }]);
    expect(s.ingestResults([{ ...other, attempt: 3 }])).toEqual({ inserted: 0, updated: 1, duplicates: 0 });
    const stored = s.results().find((r) => r.cellId === other.cellId)!;
    expect(stored.status).toBe("ok");
    expect(stored.attempt).toBe(3);
    expect(stored.stderrTail).toBeUndefined();
  });

  it("joins results with their cells and keeps the full metrics", () => {
    const s = open();
    s.upsertSweep(data.sweep);
    s.upsertHosts(data.sweep.sweepId, data.hosts);
    s.upsertModels(data.models);
    s.upsertCells(data.sweep.sweepId, data.cells);
    s.upsertCells(data.sweep.sweepId, data.cells);
    s.ingestResults(data.results);
    const stored = s.results(data.sweep.sweepId);
    const original = data.results[5]!;
    const back = stored.find((r) => r.cellId === original.cellId && r.hostId === original.hostId)!;
    expect(back.metrics).toEqual(original.outcome.metrics);
    expect(back.cell?.cellId).toBe(original.cellId);
    expect(s.hosts(data.sweep.sweepId).map((h) => h.hostId)).toEqual(data.hosts.map((h) => h.hostId).sort());
    expect(s.models()).toHaveLength(data.models.length);
    // a later snapshot of a host or model replaces every column but the key
    const host = { ...data.hosts[0]!, llamaVersion: "b9999", labels: { rack: "r2" } };
    s.upsertHosts(data.sweep.sweepId, [host]);
    expect(s.hosts(data.sweep.sweepId).find((h) => h.hostId === host.hostId)).toMatchObject({
      llamaVersion: "b9999",
      labels: { rack: "r2" },
    });
    s.upsertModels([{ ...data.models[0]!, file: "renamed.gguf", bytes: 7 }]);
    expect(s.models().find((m) => m.sha256 === data.models[0]!.sha256)).toMatchObject({
      file: "renamed.gguf",
      bytes: 7,
    });
    const [summary] = s.listSweeps(data.sweep.sweepId);
    expect(summary).toMatchObject({
      cells: data.cells.length,
      results: data.results.length,
      ok: data.results.length,
    });
    // A state update keeps the manifest.
    s.upsertSweep({ sweepId: data.sweep.sweepId, state: "cancelled" });
    expect(s.getSweep(data.sweep.sweepId)).toMatchObject({
      state: "cancelled",
      manifestYaml: data.sweep.manifestYaml,
    });
  });

  it("says which sweeps exist when asked for an unknown one", () => {
    const s = open();
    expect(() => s.requireSweep("nope")).toThrow(/no sweeps yet/);
    s.ingestResults(data.results.slice(0, 3));
    expect(() => s.requireSweep("nope")).toThrow(/sw-fake/);
  });

  it("keeps two databases independent", () => {
    const a = open("a.sqlite");
    const b = open("b.sqlite");
    expect(a.dbId).not.toBe(b.dbId);
    a.ingestResults(data.results);
    expect(b.results()).toHaveLength(0);
    expect(b.ingestResults(data.results.slice(0, 10)).inserted).toBe(10);
    expect(a.results()).toHaveLength(data.results.length);
  });

  it("ingests a large batch in one transaction (rate printed, not asserted)", () => {
    const s = open();
    const template = data.results[3]!;
    const n = 50_000;
    const many: CellResult[] = Array.from({ length: n }, (_, i) => ({ ...template, cellId: `bulk-${i}` }));
    const t0 = performance.now();
    const counts = s.ingestResults(many);
    const seconds = (performance.now() - t0) / 1000;
    expect(counts.inserted).toBe(n);
    console.log(
      `[store] ingested ${n} results in ${seconds.toFixed(2)} s (${Math.round(n / seconds)} results/s)`,
    );
  });
});
