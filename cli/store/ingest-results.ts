// Bulk, idempotent ingest of CellResults. This is the hot path of `results pull` (tens of thousands of
// results per sweep), so it runs raw prepared statements in one transaction, not drizzle's builder (~10x per
// row): new results go in by multi-row INSERTs; only the rows one of them did not insert (a result already
// stored) take the per-row path that decides which version to keep. The column list is the schema's. An
// INSERT returns only its count (RETURNING the keys of every new row cost ~10 % of the ingest CPU); a
// statement that inserted fewer rows than it was given is the rare case, sorted out by id afterwards.
import type Database from "better-sqlite3";
import { getTableColumns, getTableName } from "drizzle-orm";

import { METRIC_FIELDS, type CellResult } from "../../core/metrics.js";
import { decideIngest, type ResultVersion } from "./decide-ingest.js";
import { results as resultsTable, sweeps as sweepsTable, type MetricKey } from "./schema.js";
import type { IngestCounts } from "./store-records.js";

const R = resultsTable;

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

/** The (sweep, cell, host) a result is stored under: the schema's unique key. */
const KEY_COLUMNS = [R.sweepId, R.cellId, R.hostId].map((c) => c.name);
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
      stmt = sqlite.prepare(
        `INSERT INTO ${getTableName(R)} (${names.join(", ")}) VALUES ${Array.from({ length: rows }, () => tuple).join(", ")}
           ON CONFLICT (${KEY_COLUMNS.join(", ")}) DO NOTHING`,
      );
      inserts.set(rows, stmt);
    }
    return stmt;
  };
  const S = sweepsTable;
  const ensureSweep = sqlite.prepare(
    `INSERT INTO ${getTableName(S)} (${S.sweepId.name}, ${S.state.name}, ${S.updatedAt.name}) VALUES (?, 'unknown', ?)
       ON CONFLICT (${S.sweepId.name}) DO NOTHING`,
  );
  const find = sqlite.prepare<[string, string, string], ResultVersion & { id: number }>(
    `SELECT ${R.id.name} AS id, ${R.status.name} AS status, ${R.attempt.name} AS attempt,
            ${R.finishedAt.name} AS finishedAt
       FROM ${getTableName(R)} WHERE ${KEY_COLUMNS.map((k) => `${k} = ?`).join(" AND ")}`,
  );
  const lastId = sqlite
    .prepare<[], number | null>(`SELECT max(${R.id.name}) FROM ${getTableName(R)}`)
    .pluck();
  const keyAt = KEY_COLUMNS.map((k) => names.indexOf(k));
  const updated = names.map((n, i) => ({ n, i })).filter(({ n }) => !KEY_COLUMNS.includes(n));
  const update = sqlite.prepare(
    `UPDATE ${getTableName(R)} SET ${updated.map(({ n }) => `${n} = ?`).join(", ")}
      WHERE ${KEY_COLUMNS.map((k) => `${k} = ?`).join(" AND ")}`,
  );
  const rowOf = (r: CellResult, at: string): SqlValue[] => COLUMNS.map((c) => c.value(r, at));

  const run = sqlite.transaction((batch: CellResult[]): IngestCounts => {
    const counts: IngestCounts = { inserted: 0, updated: 0, duplicates: 0 };
    const now = new Date().toISOString();
    for (const sweepId of new Set(batch.map((r) => r.sweepId))) ensureSweep.run(sweepId, now);
    const notInserted: CellResult[] = [];
    // Ids only grow (AUTOINCREMENT), so the rows a statement inserted are the ones above every id before it.
    let idsBefore = lastId.get() ?? 0;
    for (let at = 0; at < batch.length; at += ROWS_PER_INSERT) {
      const chunk = batch.slice(at, at + ROWS_PER_INSERT);
      const params: SqlValue[] = [];
      for (const r of chunk) for (const c of COLUMNS) params.push(c.value(r, now));
      const { changes } = insertOf(chunk.length).run(params);
      counts.inserted += changes;
      if (changes < chunk.length) {
        // A row that met a stored (sweep, cell, host), or an earlier row of this batch, was not inserted.
        const seen = new Set<string>();
        for (const r of chunk) {
          const key = [r.sweepId, r.cellId, r.hostId].join("\0");
          if (seen.has(key) || find.get(r.sweepId, r.cellId, r.hostId)!.id <= idsBefore) notInserted.push(r);
          seen.add(key);
        }
      }
      if (changes > 0) idsBefore = lastId.get() ?? 0;
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
