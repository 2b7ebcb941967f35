// Flat rows of a sweep's results with their cell parameters, for `results list` and `results export`
// (CSV for spreadsheets and pandas, JSON for scripts). snake_case keys, one row per stored result.
import { kValue } from "../../core/cell.js";
import { exportedMetrics, type ExportedMetrics } from "../../core/metrics.js";
import type { StoredResult } from "./store-records.js";

/** A result's row: its identity, its cell's parameters, the exported metrics (core/metrics.ts) and its times. */
export type ExportRow = ExportRowHead & ExportedMetrics & ExportRowTail;

interface ExportRowHead {
  sweep_id: string;
  cell_id: string;
  host_id: string;
  status: string;
  invalid_reason: string | null;
  message: string | null;
  attempt: number;
  engine: string;
  backend: string | null;
  kind: string | null;
  target: string | null;
  draft: string | null;
  k: number | null;
  k_adaptive: boolean | null;
  p_min: number | null;
  temperature: number | null;
  prompt_index: number | null;
  seed: number | null;
  repeat: number | null;
  concurrency: number | null;
}

interface ExportRowTail {
  started_at: string;
  finished_at: string;
}

export function exportRows(results: StoredResult[]): ExportRow[] {
  return results.map((r) => {
    const c = r.cell;
    const m = r.metrics;
    return {
      sweep_id: r.sweepId,
      cell_id: r.cellId,
      host_id: r.hostId,
      status: r.status,
      invalid_reason: r.invalidReason ?? null,
      message: r.message ?? null,
      attempt: r.attempt,
      engine: r.engine,
      backend: r.backend ?? null,
      kind: c?.kind ?? null,
      target: c?.target.name ?? null,
      draft: c?.draft?.name ?? null,
      k: kValue(c?.k) ?? null,
      k_adaptive: c?.k === undefined ? null : c.k.kind === "adaptive",
      p_min: c?.pMin ?? null,
      temperature: c?.temperature ?? null,
      prompt_index: c?.promptIndex ?? null,
      seed: c?.seed ?? null,
      repeat: c?.repeat ?? null,
      concurrency: c?.concurrency ?? null,
      ...exportedMetrics(m),
      started_at: r.startedAt,
      finished_at: r.finishedAt,
    };
  });
}

function csvField(v: string | number | boolean | null): string {
  if (v === null) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with a header line; empty fields for missing values. */
export function toCsv(rows: ExportRow[]): string {
  if (rows.length === 0) return "";
  const headers = Object.keys(rows[0]!) as Array<keyof ExportRow>;
  const lines = [headers.join(","), ...rows.map((r) => headers.map((h) => csvField(r[h])).join(","))];
  return `${lines.join("\r\n")}\r\n`;
}
