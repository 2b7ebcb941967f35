// Read side of the store: what the report, compare, list and export need. Plain SQL over the indexed
// columns; JSON columns are parsed once here so callers get the project's own types back.
import type Database from "better-sqlite3";

import type { Cell } from "../../core/cell.js";
import type { CellMetrics, CellStatus } from "../../core/metrics.js";
import type { HostSnapshot, ModelRecord, StoredResult, SweepRecord, SweepSummary } from "./store-records.js";

interface ResultRow {
  sweep_id: string;
  cell_id: string;
  host_id: string;
  shard_id: string;
  status: CellStatus;
  invalid_reason: string | null;
  message: string | null;
  attempt: number;
  engine: string;
  backend: string | null;
  started_at: string;
  finished_at: string;
  metrics: string | null;
  stderr_tail: string | null;
  params: string | null;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function readResults(sqlite: Database.Database, sweepId?: string): StoredResult[] {
  const rows = sqlite
    .prepare<unknown[], ResultRow>(
      `SELECT r.sweep_id, r.cell_id, r.host_id, r.shard_id, r.status, r.invalid_reason, r.message, r.attempt,
              r.engine, r.backend, r.started_at, r.finished_at, r.metrics, r.stderr_tail, c.params
         FROM results r LEFT JOIN cells c ON c.sweep_id = r.sweep_id AND c.cell_id = r.cell_id
        ${sweepId === undefined ? "" : "WHERE r.sweep_id = ?"}
        ORDER BY r.sweep_id, r.host_id, r.cell_id`,
    )
    .all(...(sweepId === undefined ? [] : [sweepId]));
  return rows.map((r) => ({
    sweepId: r.sweep_id,
    cellId: r.cell_id,
    hostId: r.host_id,
    shardId: r.shard_id,
    status: r.status,
    invalidReason: opt(r.invalid_reason),
    message: opt(r.message),
    attempt: r.attempt,
    engine: r.engine,
    backend: opt(r.backend),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    metrics: r.metrics === null ? undefined : (JSON.parse(r.metrics) as CellMetrics),
    stderrTail: opt(r.stderr_tail),
    cell: r.params === null ? undefined : (JSON.parse(r.params) as Cell),
  }));
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
