// METRIC_FIELDS (core/metrics.ts) is the one list of metric fields; this test fails when the proto, the
// store's schema and migrations, ingest, export, the wire or `cell run --json` drift from it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { getTableColumns } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { exportRows } from "../../cli/store/export-results.js";
import { openStore } from "../../cli/store/open-store.js";
import * as schema from "../../cli/store/schema.js";
import { METRIC_FIELDS, toSnakeCaseMetrics, type CellMetrics, type CellResult } from "../../core/metrics.js";
import { metricsFromProto, metricsToProto } from "../../core/wire/cell-result-wire.js";

const MESSAGES: Record<string, object> = {
  warmup: { nDecoded: 8, wallMs: 120.5, decodeTps: 66.4 },
  noise: {
    loadAvg1: 0.4,
    cores: 2,
    otherCpuCores: 0.1,
    engineThreads: 1,
    idleCores: 1.9,
    gpuUtilPct: 3,
    smClockMhz: 1410,
    contended: false,
    contendedReason: "none",
  },
};

/** A CellMetrics with every field set, each to a value of its own. */
function fullMetrics(): CellMetrics {
  const m: Record<string, unknown> = {};
  METRIC_FIELDS.forEach((f, i) => {
    m[f.key] =
      f.type === "int"
        ? 100 + i
        : f.type === "real"
          ? 0.5 + i
          : f.type === "reals"
            ? [i, i + 0.25]
            : f.type === "message"
              ? MESSAGES[f.key]
              : `v${i}`;
  });
  return m as unknown as CellMetrics;
}

const PROTO_TYPES: Record<string, string> = { int32: "int", double: "real", string: "text" };

describe("METRIC_FIELDS is the one metric field list", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "specgrid-metric-fields-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("every field of CellMetrics, once, under a snake_case name of its own", () => {
    const keys = METRIC_FIELDS.map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const f of METRIC_FIELDS) {
      expect(f.name).toBe(f.key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    }
  });

  it("the proto's CellMetrics message has the same fields, types and presence, in order", () => {
    const proto = readFileSync(
      path.resolve(import.meta.dirname, "../../proto/specgrid/v1/types.proto"),
      "utf8",
    );
    const body = /message CellMetrics \{([\s\S]*?)\n\}/.exec(proto)?.[1] ?? "";
    const fields = [...body.matchAll(/^\s*(optional |repeated )?(\w+) (\w+) = \d+;/gm)].map((m) => ({
      name: m[3],
      type: m[1] === "repeated " ? "reals" : (PROTO_TYPES[m[2]!] ?? "message"),
      required: m[1] === undefined,
    }));
    expect(fields).toEqual(METRIC_FIELDS.map((f) => ({ name: f.name, type: f.type, required: f.required })));
  });

  it("the wire round trip keeps every field", () => {
    const m = fullMetrics();
    expect(metricsFromProto(metricsToProto(m))).toEqual(m);
  });

  it("cell run --json names every field", () => {
    const json = toSnakeCaseMetrics(fullMetrics()) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(METRIC_FIELDS.map((f) => f.name));
    expect(json.warmup).toEqual({ n_decoded: 8, wall_ms: 120.5, decode_tps: 66.4 });
  });

  it("the store schema and its migrations have a column for every field and no second copy, and ingest fills them", () => {
    const names = new Set(Object.values(getTableColumns(schema.results)).map((c) => c.name));
    for (const f of METRIC_FIELDS) expect(names.has(f.name), f.name).toBe(true);
    // metrics are kept once: no JSON blob of the whole record, no columns restating a nested record's fields
    for (const gone of ["metrics", "contended", "other_cpu_cores", "load_avg1"])
      expect(names).not.toContain(gone);

    const store = openStore(path.join(dir, "store.sqlite"));
    try {
      const migrated = new Set(
        store.sqlite
          .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('results')")
          .all()
          .map((c) => c.name),
      );
      expect(migrated).toEqual(names);

      const metrics = fullMetrics();
      const result: CellResult = {
        sweepId: "s1",
        cellId: "c1",
        hostId: "h1",
        shardId: "sh1",
        attempt: 1,
        engine: "in-process",
        outcome: { status: "ok", metrics },
        startedAt: "2026-12-03T00:00:00.000Z",
        finishedAt: "2026-12-03T00:00:01.000Z",
      };
      store.ingestResults([result]);
      const row = store.sqlite.prepare<[], Record<string, unknown>>("SELECT * FROM results").get()!;
      for (const f of METRIC_FIELDS) {
        const json = f.type === "reals" || f.type === "message";
        expect(json ? JSON.parse(row[f.name] as string) : row[f.name], f.name).toEqual(metrics[f.key]);
      }

      const stored = store.results("s1");
      expect(stored[0]?.metrics).toEqual(metrics);
      const exported = exportRows(stored)[0] as unknown as Record<string, unknown>;
      for (const f of METRIC_FIELDS) {
        if (f.exported) expect(exported[f.name], f.name).toBe(metrics[f.key]);
        else expect(exported, f.name).not.toHaveProperty(f.name);
      }
    } finally {
      store.close();
    }
  });
});
