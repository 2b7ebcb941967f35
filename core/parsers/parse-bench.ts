// llama-bench results (REFERENCE.md §9) in its structured formats: `-o json` (one array) or
// `-o jsonl` (one object per line). printf output is not cut at exit, but a failed model load leaves
// a lone `[` on stdout, and a run killed mid-way leaves an unclosed array or a partial last line.

import { detectErrors } from "./detect-errors.js";
import { dropUndefined } from "./drop-undefined.js";
import type { ParseResult } from "./parse-result.js";
import { finiteNumber } from "./read-number.js";
import { isRecord } from "./read-json.js";

export type BenchFormat = "json" | "jsonl";

export interface BenchRow {
  /** `pp64`, `tg32`, `pp64+tg32`, with ` @ d256` for a depth: the label llama-bench's table shows. */
  test: string;
  nPrompt?: number;
  nGen?: number;
  nDepth?: number;
  /** Tokens per second averaged over repetitions, and its standard deviation. */
  avgTs?: number;
  stddevTs?: number;
  avgNs?: number;
  stddevNs?: number;
  samplesTs?: number[];
  /** `model_type`, e.g. `llama 7B Q4_K - Medium`. */
  model?: string;
  modelFilename?: string;
  modelSizeBytes?: number;
  modelNParams?: number;
  /** `backends`, e.g. `CUDA`, `CPU`. */
  backend?: string;
  gpuInfo?: string;
  cpuInfo?: string;
  buildCommit?: string;
  buildNumber?: number;
  nThreads?: number;
  nGpuLayers?: number;
  nBatch?: number;
  nUbatch?: number;
  typeK?: string;
  typeV?: string;
  flashAttn?: number;
  testTime?: string;
  /** The row as llama-bench printed it, for fields this type does not name. */
  raw: Record<string, unknown>;
}

export interface BenchMetrics {
  rows: BenchRow[];
}

// Figures each row must carry for a result to be usable.
const ROW_REQUIRED = ["avgTs", "stddevTs", "nPrompt", "nGen", "model", "backend", "buildCommit"] as const;

/** Parse llama-bench `-o json` / `-o jsonl` stdout; stderr (if given) is scanned for errors. */
export function parseBench(stdout: string, format: BenchFormat, stderr = ""): ParseResult<BenchMetrics> {
  const { objects, truncated } = format === "json" ? readArray(stdout) : readLines(stdout);
  const rows = objects.map(toRow);
  const missing: string[] = rows.length === 0 ? ["rows"] : [];
  rows.forEach((row, i) => {
    for (const key of ROW_REQUIRED) if (row[key] === undefined) missing.push(`rows[${i}].${key}`);
  });
  const errors = detectErrors(stderr);
  return { metrics: { rows }, truncated: truncated && errors.length === 0, missing, errors };
}

// llama-bench writes C++ nan/inf as bare words, which JSON.parse rejects; they become null here and
// so land in `missing` rather than failing the whole document.
function jsonSafe(text: string): string {
  return text.replace(/(:\s*|,\s*|\[\s*)-?(?:nan|inf)\b/gi, "$1null");
}

function readArray(stdout: string): { objects: Record<string, unknown>[]; truncated: boolean } {
  const text = stdout.trim();
  if (text === "") return { objects: [], truncated: true };
  try {
    const value = JSON.parse(jsonSafe(text)) as unknown;
    return { objects: Array.isArray(value) ? value.filter(isRecord) : [], truncated: !Array.isArray(value) };
  } catch {
    // unclosed array: keep the complete objects printed before the cut
    const objects: Record<string, unknown>[] = [];
    for (const chunk of text.replace(/^\[/, "").split(/\n\s*\},?\s*\n/)) {
      try {
        const value = JSON.parse(jsonSafe(`${chunk.trim().replace(/\}?,?$/, "")}}`)) as unknown;
        if (isRecord(value)) objects.push(value);
      } catch {
        // the partial object at the cut
      }
    }
    return { objects, truncated: true };
  }
}

function readLines(stdout: string): { objects: Record<string, unknown>[]; truncated: boolean } {
  const objects: Record<string, unknown>[] = [];
  let truncated = stdout.trim() === "";
  for (const line of stdout.replace(/\r\n?/g, "\n").split("\n")) {
    if (line.trim() === "") continue;
    try {
      const value = JSON.parse(jsonSafe(line)) as unknown;
      if (isRecord(value)) objects.push(value);
    } catch {
      truncated = true;
    }
  }
  return { objects, truncated };
}

function toRow(raw: Record<string, unknown>): BenchRow {
  const nPrompt = finiteNumber(raw.n_prompt);
  const nGen = finiteNumber(raw.n_gen);
  const nDepth = finiteNumber(raw.n_depth);
  const samples = Array.isArray(raw.samples_ts) ? raw.samples_ts.map(finiteNumber) : undefined;
  return dropUndefined({
    test: testLabel(nPrompt, nGen, nDepth),
    nPrompt,
    nGen,
    nDepth,
    avgTs: finiteNumber(raw.avg_ts),
    stddevTs: finiteNumber(raw.stddev_ts),
    avgNs: finiteNumber(raw.avg_ns),
    stddevNs: finiteNumber(raw.stddev_ns),
    samplesTs: samples?.every((s): s is number => s !== undefined) ? samples : undefined,
    model: stringOf(raw.model_type),
    modelFilename: stringOf(raw.model_filename),
    modelSizeBytes: finiteNumber(raw.model_size),
    modelNParams: finiteNumber(raw.model_n_params),
    backend: stringOf(raw.backends),
    gpuInfo: stringOf(raw.gpu_info),
    cpuInfo: stringOf(raw.cpu_info),
    buildCommit: stringOf(raw.build_commit),
    buildNumber: finiteNumber(raw.build_number),
    nThreads: finiteNumber(raw.n_threads),
    nGpuLayers: finiteNumber(raw.n_gpu_layers),
    nBatch: finiteNumber(raw.n_batch),
    nUbatch: finiteNumber(raw.n_ubatch),
    typeK: stringOf(raw.type_k),
    typeV: stringOf(raw.type_v),
    flashAttn: finiteNumber(raw.flash_attn),
    testTime: stringOf(raw.test_time),
    raw,
  });
}

function testLabel(nPrompt = 0, nGen = 0, nDepth = 0): string {
  const base = nGen === 0 ? `pp${nPrompt}` : nPrompt === 0 ? `tg${nGen}` : `pp${nPrompt}+tg${nGen}`;
  return nDepth > 0 ? `${base} @ d${nDepth}` : base;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
