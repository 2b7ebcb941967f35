// llama-batched-bench (REFERENCE.md §7) writes through the async logger to stdout, so a table row
// can be lost at exit with rc 0. The only closing evidence is the row count the run asked for
// (|npp| × |ntg| × |npl|), which the caller knows; without it, only a partial jsonl line shows a cut.

import { cleanLog } from "./clean-log.js";
import { detectErrors } from "./detect-errors.js";
import { dropUndefined } from "./drop-undefined.js";
import type { ParseResult } from "./parse-result.js";
import { finiteNumber, readNumber } from "./read-number.js";
import { isRecord } from "./read-json.js";

export interface BatchedBenchRow {
  /** Prompt tokens per sequence, generated tokens per sequence, parallel sequences. */
  pp: number;
  tg: number;
  pl: number;
  /** KV cells required. */
  nKv?: number;
  /** Prompt phase: seconds and tokens/s. */
  tPpS?: number;
  speedPpTps?: number;
  /** Generation phase: seconds and tokens/s (B·TG tokens). */
  tTgS?: number;
  speedTgTps?: number;
  /** Whole row: seconds and tokens/s. */
  tS?: number;
  speedTps?: number;
}

export interface BatchedBenchSettings {
  nKvMax?: number;
  nBatch?: number;
  nUbatch?: number;
  flashAttn?: number;
  isPpShared?: boolean;
  nGpuLayers?: number;
  nThreads?: number;
  nThreadsBatch?: number;
}

export interface BatchedBenchMetrics {
  format?: "jsonl" | "md";
  settings: BatchedBenchSettings;
  rows: BatchedBenchRow[];
}

export interface BatchedBenchOptions {
  /** Rows the run should print (|npp| × |ntg| × |npl|); fewer means the output was cut. */
  expectedRows?: number;
  /** The tool's stderr, scanned for errors. */
  stderr?: string;
}

const NUM = String.raw`(-?nan|-?inf|-?\d+(?:\.\d+)?)`;
const MD_ROW = new RegExp(
  String.raw`^\|\s*(\d+) \|\s*(\d+) \|\s*(\d+) \|\s*(\d+) \|\s*${NUM} \|\s*${NUM} \|\s*${NUM} \|\s*${NUM} \|\s*${NUM} \|\s*${NUM} \|$`,
);
const MD_SETTINGS = /^llama_batched_bench: (.*)$/;
const ROW_FIGURES = ["nKv", "tPpS", "speedPpTps", "tTgS", "speedTgTps", "tS", "speedTps"] as const;

/** Parse llama-batched-bench stdout (`--output-format jsonl`, or the default markdown table). */
export function parseBatchedBench(
  stdout: string,
  options: BatchedBenchOptions = {},
): ParseResult<BatchedBenchMetrics> {
  const metrics: BatchedBenchMetrics = { settings: {}, rows: [] };
  let partialLine = false;
  for (const raw of cleanLog(stdout).split("\n")) {
    const line = raw.trim();
    if (line.startsWith("{")) {
      metrics.format = "jsonl";
      try {
        const value = JSON.parse(line) as unknown;
        if (isRecord(value)) {
          metrics.settings = settingsFromJson(value);
          const row = rowFromJson(value);
          if (row) metrics.rows.push(row);
        }
      } catch {
        partialLine = true;
      }
      continue;
    }
    const settings = MD_SETTINGS.exec(line);
    if (settings) {
      metrics.format = "md";
      metrics.settings = settingsFromText(settings[1] ?? "");
      continue;
    }
    const row = MD_ROW.exec(line);
    const [pp, tg, pl] = [readNumber(row?.[1]), readNumber(row?.[2]), readNumber(row?.[3])];
    // a row whose PP/TG/B cannot be read (digits past float range) names no configuration: skip it
    if (row && pp !== undefined && tg !== undefined && pl !== undefined) {
      metrics.format = "md";
      metrics.rows.push(
        dropUndefined({
          pp,
          tg,
          pl,
          nKv: readNumber(row[4]),
          tPpS: readNumber(row[5]),
          speedPpTps: readNumber(row[6]),
          tTgS: readNumber(row[7]),
          speedTgTps: readNumber(row[8]),
          tS: readNumber(row[9]),
          speedTps: readNumber(row[10]),
        }),
      );
    }
  }
  const missing: string[] = metrics.rows.length === 0 ? ["rows"] : [];
  metrics.rows.forEach((row, i) => {
    for (const key of ROW_FIGURES) if (row[key] === undefined) missing.push(`rows[${i}].${key}`);
  });
  const errors = detectErrors(options.stderr ?? "");
  const short = options.expectedRows !== undefined && metrics.rows.length < options.expectedRows;
  const cut = partialLine || short || metrics.rows.length === 0;
  return { metrics: dropUndefined(metrics), truncated: cut && errors.length === 0, missing, errors };
}

/** A row, or undefined when pp/tg/pl are absent: a row without its configuration is not a measurement. */
function rowFromJson(v: Record<string, unknown>): BatchedBenchRow | undefined {
  const [pp, tg, pl] = [finiteNumber(v.pp), finiteNumber(v.tg), finiteNumber(v.pl)];
  if (pp === undefined || tg === undefined || pl === undefined) return undefined;
  return dropUndefined({
    pp,
    tg,
    pl,
    nKv: finiteNumber(v.n_kv),
    tPpS: finiteNumber(v.t_pp),
    speedPpTps: finiteNumber(v.speed_pp),
    tTgS: finiteNumber(v.t_tg),
    speedTgTps: finiteNumber(v.speed_tg),
    tS: finiteNumber(v.t),
    speedTps: finiteNumber(v.speed),
  });
}

function settingsFromJson(v: Record<string, unknown>): BatchedBenchSettings {
  return dropUndefined({
    nKvMax: finiteNumber(v.n_kv_max),
    nBatch: finiteNumber(v.n_batch),
    nUbatch: finiteNumber(v.n_ubatch),
    flashAttn: finiteNumber(v.flash_attn),
    isPpShared: typeof v.is_pp_shared === "number" ? v.is_pp_shared !== 0 : undefined,
    nGpuLayers: finiteNumber(v.n_gpu_layers),
    nThreads: finiteNumber(v.n_threads),
    nThreadsBatch: finiteNumber(v.n_threads_batch),
  });
}

function settingsFromText(text: string): BatchedBenchSettings {
  const values: Record<string, number> = {};
  for (const pair of text.split(",")) {
    const m = /^\s*(\w+) = (-?\d+)\s*$/.exec(pair);
    if (m?.[1] !== undefined) values[m[1]] = Number(m[2]);
  }
  return settingsFromJson({ ...values });
}
