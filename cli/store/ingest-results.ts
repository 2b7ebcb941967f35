// Bulk, idempotent ingest of CellResults. This is the hot path of `results pull` (tens of thousands of
// results per sweep), so it runs raw prepared statements in one transaction, not drizzle's builder (~10x per
// row): new results go in by multi-row INSERTs; only the rows one of them did not insert (a result already
// stored) take the per-row path that decides which version to keep. The column list is the schema's.
import type Database from "better-sqlite3";
import { getTableColumns } from "drizzle-orm";

import { METRIC_FIELDS, type CellResult } from "../../core/metrics.js";
import { decideIngest, type ResultVersion } from "./decide-ingest.js";
import { results as resultsTable, type MetricKey } from "./schema.js";
import type { IngestCounts } from "./store-records.js";

type SqlValue = string | number | null;
type ResultColumnKey = Exclude<keyof typeof resultsTable.$inferInsert, "id">;

/** Every results column that is not a metric, from the result it stores (a missing entry is a type error). */
const VALUE_OF: { [K in Exclude<ResultColumnKey, MetricKey>]-?: (r: CellResult, at: string) => SqlValue } = {
  sweepId: (r) => r.sweepId,
  cellId: (r) => r.cellId,
  hostId: (r) => r.hostId,
  shardId: (r) => r.shardId,
  status: (r) => r.outcome.status,
  invalidReason: (r) => r.outcome.invalidReason ?? null,
  message: (r) => r.outcome.message ?? null,
  attempt: (r) => r.attempt,
  engine: (r) => r.engine,
  backend: (r) => r.outcome.backend ?? null,
  startedAt: (r) => r.startedAt,
  finishedAt: (r) => r.finishedAt,
  stderrTail: (r) => r.outcome.stderrTail ?? null,
  command: (r) => (r.outcome.command === undefined ? null : JSON.stringify(r.outcome.command)),
  ingestedAt: (_r, at) => at,
};

/** A metric column's value: as measured, lists and nested records as JSON, null where not measured. */
function metricValue(key: MetricKey, json: boolean): (r: CellResult) => SqlValue {
  return (r) => {
    const v = r.outcome.metrics?.[key];
    if (v === undefined) return null;
    return json ? JSON.stringify(v) : (v as string | number);
  };
}

const METRIC_BY_KEY = new Map<string, (typeof METRIC_FIELDS)[number]>(METRIC_FIELDS.map((f) => [f.key, f]));

/** The results columns in schema order (without the row id), each with how a result fills it. */
const COLUMNS = Object.entries(getTableColumns(resultsTable))
  .filter(([key]) => key !== "id")
  .map(([key, column]) => {
    const metric = METRIC_BY_KEY.get(key);
    return {
      name: column.name,
      value:
        metric === undefined
          ? VALUE_OF[key as keyof typeof VALUE_OF]
          : metricValue(metric.key, metric.type === "reals" || metric.type === "message"),
    };
  });

const KEY_COLUMNS = ["sweep_id", "cell_id", "host_id"];
/** Rows per INSERT statement: far under SQLite's 32,766 bound parameters, large enough to amortize a statement. */
const ROWS_PER_INSERT = 100;

/** Builds the ingest function over an open, migrated database. */
export function ingestResults(sqlite: Database.Database): (results: CellResult[]) => IngestCounts {
  const names = COLUMNS.map((c) => c.name);
  const tuple = `(${names.map(() => "?").join(", ")})`;
  const inserts = new Map<number, Database.Statement>();
  const insertOf = (rows: number): Database.Statement => {
    let stmt = inserts.get(rows);
    if (stmt === undefined) {
      stmt = sqlite
        .prepare(
          `INSERT INTO results (${names.join(", ")}) VALUES ${Array.from({ length: rows }, () => tuple).join(", ")}
           ON CONFLICT (sweep_id, cell_id, host_id) DO NOTHING RETURNING sweep_id, cell_id, host_id`,
        )
        .raw();
      inserts.set(rows, stmt);
    }
    return stmt;
  };
  const ensureSweep = sqlite.prepare(
    "INSERT INTO sweeps (sweep_id, state, updated_at) VALUES (?, 'unknown', ?) ON CONFLICT(sweep_id) DO NOTHING",
  );
  const find = sqlite.prepare<[string, string, string], ResultVersion>(
    "SELECT status, attempt, finished_at AS finishedAt FROM results WHERE sweep_id = ? AND cell_id = ? AND host_id = ?",
  );
  const keyAt = KEY_COLUMNS.map((k) => names.indexOf(k));
  const updated = names.map((n, i) => ({ n, i })).filter(({ n }) => !KEY_COLUMNS.includes(n));
  const update = sqlite.prepare(
    `UPDATE results SET ${updated.map(({ n }) => `${n} = ?`).join(", ")}
      WHERE ${KEY_COLUMNS.map((k) => `${k} = ?`).join(" AND ")}`,
  );
  const rowOf = (r: CellResult, at: string): SqlValue[] => COLUMNS.map((c) => c.value(r, at));

  const run = sqlite.transaction((batch: CellResult[]): IngestCounts => {
    const counts: IngestCounts = { inserted: 0, updated: 0, duplicates: 0 };
    const now = new Date().toISOString();
    for (const sweepId of new Set(batch.map((r) => r.sweepId))) ensureSweep.run(sweepId, now);
    const notInserted: CellResult[] = [];
    for (let at = 0; at < batch.length; at += ROWS_PER_INSERT) {
      const chunk = batch.slice(at, at + ROWS_PER_INSERT);
      const params: SqlValue[] = [];
      for (const r of chunk) for (const c of COLUMNS) params.push(c.value(r, now));
      const inserted = insertOf(chunk.length).all(params) as string[][];
      counts.inserted += inserted.length;
      if (inserted.length === chunk.length) continue;
      // A row that met a stored (sweep, cell, host), or an earlier row of this batch, was not inserted.
      const isNew = new Set(inserted.map((k) => k.join("\0")));
      for (const r of chunk) {
        const key = [r.sweepId, r.cellId, r.hostId].join("\0");
        if (isNew.has(key)) isNew.delete(key);
        else notInserted.push(r);
      }
    }
    for (const r of notInserted) {
      const stored = find.get(r.sweepId, r.cellId, r.hostId)!;
      const incoming = { status: r.outcome.status, attempt: r.attempt, finishedAt: r.finishedAt };
      if (decideIngest(stored, incoming) === "replace") {
        const row = rowOf(r, now);
        update.run([...updated.map(({ i }) => row[i]!), ...keyAt.map((i) => row[i]!)]);
        counts.updated++;
      } else {
        counts.duplicates++;
      }
    }
    return counts;
  });
  return (results) => run(results);
}
