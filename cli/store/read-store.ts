// Read side of the store: what the report, compare, list and export need. Plain SQL over the indexed
// columns; a result's metrics come back from their columns (schema.ts) and JSON columns are parsed once here,
// so callers get the project's own types back.
import type Database from "better-sqlite3";

import type { Cell } from "../../core/cell.js";
import { METRIC_FIELDS, type CellMetrics, type CellStatus } from "../../core/metrics.js";
import { cells as cellsTable, results as resultsTable, type MetricKey } from "./schema.js";
import type { HostSnapshot, ModelRecord, StoredResult, SweepRecord, SweepSummary } from "./store-records.js";

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export interface ReadResultsOptions {
  /**
   * Fields not to read (left undefined): metric keys, and `stderrTail`. A caller that never looks at a wide
   * field (the generated text, a record that is JSON in its column) saves reading and parsing it per row.
   */
  omit?: readonly (MetricKey | "stderrTail")[];
}

const R = resultsTable;
const C = cellsTable;
/** The result's own columns, in StoredResult's order; the metric columns follow. */
const IDENTITY = [
  R.sweepId,
  R.cellId,
  R.hostId,
  R.shardId,
  R.status,
  R.invalidReason,
  R.message,
  R.attempt,
  R.engine,
  R.backend,
  R.startedAt,
  R.finishedAt,
  R.stderrTail,
].map((c) => c.name);

type ResultTuple = [
  sweepId: string,
  cellId: string,
  hostId: string,
  shardId: string,
  status: CellStatus,
  invalidReason: string | null,
  message: string | null,
  attempt: number,
  engine: string,
  backend: string | null,
  startedAt: string,
  finishedAt: string,
  stderrTail: string | null,
  ...metrics: (string | number | null)[],
];

/**
 * The cells of one sweep (or all), parsed once each: a cell has a result per host that ran it, so parsing
 * its params per result (a join) would parse and copy the same JSON once per host. Results share the
 * parsed cell; nothing downstream mutates it.
 */
function readCells(sqlite: Database.Database, sweepId?: string): Map<string, Cell> {
  const rows = sqlite
    .prepare<unknown[], [sweepId: string, cellId: string, params: string]>(
      `SELECT ${[C.sweepId, C.cellId, C.params].map((c) => c.name).join(", ")} FROM cells
        ${sweepId === undefined ? "" : `WHERE ${C.sweepId.name} = ?`}`,
    )
    .raw()
    .all(...(sweepId === undefined ? [] : [sweepId]));
  const cells = new Map<string, Cell>();
  for (const [sweep, cellId, params] of rows) cells.set(cellKey(sweep, cellId), JSON.parse(params) as Cell);
  return cells;
}

const cellKey = (sweepId: string, cellId: string): string => `${sweepId}\0${cellId}`;

export function readResults(
  sqlite: Database.Database,
  sweepId?: string,
  opts: ReadResultsOptions = {},
): StoredResult[] {
  const omit = new Set<string>(opts.omit ?? []);
  const fields = METRIC_FIELDS.filter((f) => !omit.has(f.key)).map((f) => ({
    key: f.key,
    name: f.name,
    json: f.type === "reals" || f.type === "message",
  }));
  const identity = IDENTITY.map((c) => (c === R.stderrTail.name && omit.has("stderrTail") ? "NULL" : c));
  const cells = readCells(sqlite, sweepId);
  const rows = sqlite
    .prepare<unknown[], ResultTuple>(
      `SELECT ${[...identity, ...fields.map((f) => f.name)].join(", ")} FROM results
        ${sweepId === undefined ? "" : `WHERE ${R.sweepId.name} = ?`}
        ORDER BY ${[R.sweepId, R.hostId, R.cellId].map((c) => c.name).join(", ")}`,
    )
    .raw()
    .all(...(sweepId === undefined ? [] : [sweepId]));
  const first = IDENTITY.length;
  return rows.map((row) => {
    let metrics: Record<string, unknown> | undefined;
    for (let i = 0; i < fields.length; i++) {
      const v = row[first + i];
      if (v === null || v === undefined) continue;
      const f = fields[i]!;
      (metrics ??= {})[f.key] = f.json ? (JSON.parse(v as string) as unknown) : v;
    }
    return {
      sweepId: row[0],
      cellId: row[1],
      hostId: row[2],
      shardId: row[3],
      status: row[4],
      invalidReason: opt(row[5]),
      message: opt(row[6]),
      attempt: row[7],
      engine: row[8],
      backend: opt(row[9]),
      startedAt: row[10],
      finishedAt: row[11],
      metrics: metrics as CellMetrics | undefined,
      stderrTail: opt(row[12]),
      cell: cells.get(cellKey(row[0], row[1])),
    };
  });
}

export function readSweep(sqlite: Database.Database, sweepId: string): SweepRecord | undefined {
  const row = sqlite
    .prepare<
      [string],
      {
        sweep_id: string;
        name: string | null;
        state: string;
        manifest_yaml: string | null;
        manifest_resolved: string | null;
        submitted_at: string | null;
        finished_at: string | null;
      }
    >("SELECT * FROM sweeps WHERE sweep_id = ?")
    .get(sweepId);
  if (row === undefined) return undefined;
  return {
    sweepId: row.sweep_id,
    name: opt(row.name),
    state: row.state,
    manifestYaml: opt(row.manifest_yaml),
    manifestResolved:
      row.manifest_resolved === null ? undefined : (JSON.parse(row.manifest_resolved) as unknown),
    submittedAt: opt(row.submitted_at),
    finishedAt: opt(row.finished_at),
  };
}

export function readSweepSummaries(sqlite: Database.Database, sweepId?: string): SweepSummary[] {
  const rows = sqlite
    .prepare<
      unknown[],
      {
        sweep_id: string;
        name: string | null;
        state: string;
        submitted_at: string | null;
        hosts: number;
        cells: number;
        results: number;
        ok: number;
        invalid: number;
        failed: number;
      }
    >(
      `SELECT s.sweep_id, s.name, s.state, s.submitted_at,
              (SELECT COUNT(*) FROM hosts h WHERE h.sweep_id = s.sweep_id) AS hosts,
              (SELECT COUNT(*) FROM cells c WHERE c.sweep_id = s.sweep_id) AS cells,
              COUNT(r.id) AS results,
              COALESCE(SUM(r.status = 'ok'), 0) AS ok,
              COALESCE(SUM(r.status = 'invalid'), 0) AS invalid,
              COALESCE(SUM(r.status = 'failed'), 0) AS failed
         FROM sweeps s LEFT JOIN results r ON r.sweep_id = s.sweep_id
        ${sweepId === undefined ? "" : "WHERE s.sweep_id = ?"}
        GROUP BY s.sweep_id ORDER BY COALESCE(s.submitted_at, s.updated_at), s.sweep_id`,
    )
    .all(...(sweepId === undefined ? [] : [sweepId]));
  return rows.map((r) => ({
    sweepId: r.sweep_id,
    name: opt(r.name),
    state: r.state,
    submittedAt: opt(r.submitted_at),
    hosts: r.hosts,
    cells: r.cells,
    results: r.results,
    ok: r.ok,
    invalid: r.invalid,
    failed: r.failed,
  }));
}

export function readHosts(sqlite: Database.Database, sweepId: string): HostSnapshot[] {
  const rows = sqlite
    .prepare<[string], Record<string, string | number | null>>(
      "SELECT * FROM hosts WHERE sweep_id = ? ORDER BY host_id",
    )
    .all(sweepId);
  return rows.map((r) => ({
    hostId: String(r.host_id),
    hostname: str(r.hostname),
    os: str(r.os),
    cpu: str(r.cpu),
    cpuCores: num(r.cpu_cores),
    memoryMib: num(r.memory_mib),
    gpus: JSON.parse(String(r.gpus)) as HostSnapshot["gpus"],
    driver: str(r.driver),
    cudaVersion: str(r.cuda_version),
    llamaVersion: str(r.llama_version),
    llamaBuildNumber: num(r.llama_build_number),
    llamaCommit: str(r.llama_commit),
    agentVersion: str(r.agent_version),
    engineBackend: str(r.engine_backend),
    labels: JSON.parse(String(r.labels)) as Record<string, string>,
    facts: r.facts === null || r.facts === undefined ? undefined : (JSON.parse(String(r.facts)) as unknown),
  }));
}

export function readModels(sqlite: Database.Database): ModelRecord[] {
  const rows = sqlite
    .prepare<
      [],
      { sha256: string; name: string; file: string | null; bytes: number | null; facts: string | null }
    >("SELECT * FROM models ORDER BY name")
    .all();
  return rows.map((r) => ({
    sha256: r.sha256,
    name: r.name,
    file: opt(r.file),
    bytes: opt(r.bytes),
    facts: r.facts === null ? undefined : (JSON.parse(r.facts) as unknown),
  }));
}

function str(v: string | number | null | undefined): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}

function num(v: string | number | null | undefined): number | undefined {
  return v === null || v === undefined ? undefined : Number(v);
}
