// Bulk, idempotent ingest of CellResults. Raw prepared statements in one transaction: this is the hot path
// of `results pull` (tens of thousands of results per sweep), and drizzle's builder costs ~10x per row.
import type Database from "better-sqlite3";

import { METRIC_COLUMN_NAMES, metricColumns, type CellResult } from "../../core/metrics.js";
import { decideIngest, type ResultVersion } from "./decide-ingest.js";
import type { IngestCounts } from "./store-records.js";

const COLUMNS = [
  "sweep_id",
  "cell_id",
  "host_id",
  "shard_id",
  "status",
  "invalid_reason",
  "message",
  "attempt",
  "engine",
  "backend",
  "started_at",
  "finished_at",
  ...METRIC_COLUMN_NAMES,
  // host noise (metrics.noise), in columns so a query can leave contended cells out
  "contended",
  "other_cpu_cores",
  "load_avg1",
  "metrics",
  "stderr_tail",
  "command",
  "ingested_at",
];

type Row = Record<string, string | number | null>;

function toRow(r: CellResult, ingestedAt: string): Row {
  const m = r.outcome.metrics;
  return {
    sweep_id: r.sweepId,
    cell_id: r.cellId,
    host_id: r.hostId,
    shard_id: r.shardId,
    status: r.outcome.status,
    invalid_reason: r.outcome.invalidReason ?? null,
    message: r.outcome.message ?? null,
    attempt: r.attempt,
    engine: r.engine,
    backend: r.outcome.backend ?? null,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    ...metricColumns(m),
    contended: m?.noise === undefined ? null : m.noise.contended ? 1 : 0,
    other_cpu_cores: m?.noise?.otherCpuCores ?? null,
    load_avg1: m?.noise?.loadAvg1 ?? null,
    metrics: m === undefined ? null : JSON.stringify(m),
    stderr_tail: r.outcome.stderrTail ?? null,
    command: r.outcome.command === undefined ? null : JSON.stringify(r.outcome.command),
    ingested_at: ingestedAt,
  };
}

/** Builds the ingest function over an open, migrated database. */
export function ingestResults(sqlite: Database.Database): (results: CellResult[]) => IngestCounts {
  const ensureSweep = sqlite.prepare(
    "INSERT INTO sweeps (sweep_id, state, updated_at) VALUES (?, 'unknown', ?) ON CONFLICT(sweep_id) DO NOTHING",
  );
  const find = sqlite.prepare<[string, string, string], ResultVersion>(
    "SELECT status, attempt, finished_at AS finishedAt FROM results WHERE sweep_id = ? AND cell_id = ? AND host_id = ?",
  );
  const insert = sqlite.prepare(
    `INSERT INTO results (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map((c) => `@${c}`).join(", ")})
     ON CONFLICT (sweep_id, cell_id, host_id) DO NOTHING`,
  );
  const keyCols = new Set(["sweep_id", "cell_id", "host_id"]);
  const update = sqlite.prepare(
    `UPDATE results SET ${COLUMNS.filter((c) => !keyCols.has(c))
      .map((c) => `${c} = @${c}`)
      .join(", ")} WHERE sweep_id = @sweep_id AND cell_id = @cell_id AND host_id = @host_id`,
  );

  const run = sqlite.transaction((batch: CellResult[]): IngestCounts => {
    const counts: IngestCounts = { inserted: 0, updated: 0, duplicates: 0 };
    const now = new Date().toISOString();
    const seenSweeps = new Set<string>();
    for (const r of batch) {
      if (!seenSweeps.has(r.sweepId)) {
        ensureSweep.run(r.sweepId, now);
        seenSweeps.add(r.sweepId);
      }
      const row = toRow(r, now);
      // Insert first: new results (the common case) cost one statement, not a lookup and an insert.
      if (insert.run(row).changes === 1) {
        counts.inserted++;
        continue;
      }
      const stored = find.get(r.sweepId, r.cellId, r.hostId)!;
      if (
        decideIngest(stored, { status: r.outcome.status, attempt: r.attempt, finishedAt: r.finishedAt }) ===
        "replace"
      ) {
        update.run(row);
        counts.updated++;
      } else {
        counts.duplicates++;
      }
    }
    return counts;
  });
  return (results) => run(results);
}
