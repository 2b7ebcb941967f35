// Flat rows of a sweep's results with their cell parameters, for `results list` and `results export`
// (CSV for spreadsheets and pandas, JSON for scripts). snake_case keys, one row per stored result.
import { kValue } from "../../core/cell.js";
import type { StoredResult } from "./store-records.js";

export interface ExportRow {
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
  n_decoded: number | null;
  decode_ms: number | null;
  decode_tps: number | null;
  prompt_tps: number | null;
  n_drafted: number | null;
  n_accept: number | null;
  accept_rate: number | null;
  tokens_per_step: number | null;
  aggregate_tps: number | null;
  memory_mib: number | null;
  peak_vram_mib: number | null;
  wall_ms: number | null;
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
      n_decoded: m?.nDecoded ?? null,
      decode_ms: m?.decodeMs ?? null,
      decode_tps: m?.decodeTps ?? null,
      prompt_tps: m?.promptTps ?? null,
      n_drafted: m?.nDrafted ?? null,
      n_accept: m?.nAccept ?? null,
      accept_rate: m?.acceptRate ?? null,
      tokens_per_step: m?.tokensPerStep ?? null,
      aggregate_tps: m?.aggregateTps ?? null,
      memory_mib: m?.memoryMib ?? null,
      peak_vram_mib: m?.peakVramMib ?? null,
      wall_ms: m?.wallMs ?? null,
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
