// The schema an agent holds every incoming cell to before running it. The coordinator is trusted to send
// hashes and values only, but a compromised or buggy coordinator (or anyone who can publish a shard) must
// not be able to make an agent allocate a 10M-token context, draft 10,000 tokens or read a 1 GB prompt.
// Pure: the agent calls it on each cell and records the RejectedParameterError on the cell.
import { DEFAULT_SPEC_TYPE, specTypeTraits } from "./spec-types.js";
import { ENGINE_NAMES, type Cell, type CellParams, type ModelRef } from "./cell.js";
import { RejectedParameterError } from "./errors.js";
import { sha256Hex } from "./ids.js";

/** Bounds an agent accepts. Every field is optional; unset fields take the defaults below. */
export interface CellLimits {
  /** Largest draft length K (fixed K, or adaptive kMax). @default 64 */
  kMax?: number;
  /** Largest n_predict. @default 1_000_000 (the manifest's own bound) */
  nPredictMax?: number;
  /** Largest context (llama.ctx), tokens. @default 1_048_576 */
  ctxMax?: number;
  /** Longest prompt, UTF-8 bytes. @default 65_536 (the manifest loader's default) */
  promptBytesMax?: number;
  /** Highest temperature. @default 10 */
  temperatureMax?: number;
  /** Most sequences decoded at once in a parallel cell. @default 256 (the manifest's own bound) */
  concurrencyMax?: number;
  /** Most requests in one parallel cell. @default 100_000 */
  requestsMax?: number;
  /** Largest batch (-b). @default 1_048_576 */
  batchMax?: number;
  /** Most CPU threads. @default 1024 */
  threadsMax?: number;
}

export const DEFAULT_CELL_LIMITS: Required<CellLimits> = {
  kMax: 64,
  nPredictMax: 1_000_000,
  ctxMax: 1_048_576,
  promptBytesMax: 65_536,
  temperatureMax: 10,
  concurrencyMax: 256,
  requestsMax: 100_000,
  batchMax: 1_048_576,
  threadsMax: 1024,
};

/** One refused value: which field, what it was, and the bound it broke. */
export interface CellLimitProblem {
  field: string;
  value: unknown;
  message: string;
}

// llama.cpp seeds are uint32; 0xFFFFFFFF means "random", which would make a cell unrepeatable.
const SEED_MAX = 0xffff_fffe;
const SHA256_RE = /^[0-9a-f]{64}$/;
// A model file is a bare name on the agent's model dirs; anything with a path part is refused here too.
const MODEL_FILE_RE = /^(?!\.\.?$)[^/\\\0]+$/;

function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

class ProblemList {
  readonly items: CellLimitProblem[] = [];

  add(field: string, value: unknown, message: string): void {
    this.items.push({ field, value, message });
  }

  /** An integer in [min, max]; `limitName` names the CellLimits key a user raises. */
  int(field: string, value: unknown, min: number, max: number, limitName?: string): void {
    if (!isFiniteNumber(value) || !Number.isInteger(value)) {
      this.add(field, value, `${field} must be a whole number (got ${String(value)})`);
    } else if (value < min || value > max) {
      this.add(field, value, `${field} = ${value} is outside ${min}..${max}${raiseHint(limitName)}`);
    }
  }

  /** A finite number in [min, max]. */
  real(field: string, value: unknown, min: number, max: number, limitName?: string): void {
    if (!isFiniteNumber(value)) {
      this.add(field, value, `${field} must be a finite number (got ${String(value)})`);
    } else if (value < min || value > max) {
      this.add(field, value, `${field} = ${value} is outside ${min}..${max}${raiseHint(limitName)}`);
    }
  }
}

function raiseHint(limitName: string | undefined): string {
  return limitName === undefined ? "" : ` (the agent's ${limitName} limit; raise it in the agent's config)`;
}

function checkModel(problems: ProblemList, field: string, ref: ModelRef | undefined): void {
  if (ref === undefined) return;
  if (ref.sha256 === undefined && ref.file === undefined)
    problems.add(field, ref, `${field} names no sha256 and no file`);
  if (ref.sha256 !== undefined && !SHA256_RE.test(ref.sha256))
    problems.add(`${field}.sha256`, ref.sha256, `${field}.sha256 is not a lowercase sha256 hex digest`);
  if (ref.file !== undefined && !MODEL_FILE_RE.test(ref.file))
    problems.add(
      `${field}.file`,
      ref.file,
      `${field}.file "${ref.file}" is a path; models are named by file name only`,
    );
}

function checkK(problems: ProblemList, p: CellParams, l: Required<CellLimits>): void {
  const k = p.k;
  if (k === undefined) {
    if (p.kind === "speculative" && specTypeTraits(p.specType ?? DEFAULT_SPEC_TYPE).usesK)
      problems.add("k", k, `a speculative cell of spec type ${p.specType ?? DEFAULT_SPEC_TYPE} needs a K`);
    return;
  }
  if (k.kind === "fixed") {
    problems.int("k", k.k, 1, l.kMax, "kMax");
    return;
  }
  if (k.kind !== "adaptive") {
    problems.add("k.kind", (k as { kind: unknown }).kind, 'k.kind must be "fixed" or "adaptive"');
    return;
  }
  problems.int("k.kMin", k.kMin, 1, l.kMax, "kMax");
  problems.int("k.kMax", k.kMax, 1, l.kMax, "kMax");
  problems.int("k.kStart", k.kStart, 1, l.kMax, "kMax");
  if (k.kMin > k.kMax || k.kStart < k.kMin || k.kStart > k.kMax)
    problems.add("k", k, `need kMin <= kStart <= kMax (got ${k.kMin}, ${k.kStart}, ${k.kMax})`);
  problems.real("k.raiseAbove", k.raiseAbove, 0, 1);
  problems.real("k.lowerBelow", k.lowerBelow, 0, 1);
}

/** Every value of `p` outside the schema and `limits`, in field order; empty when the cell may run. */
export function cellLimitProblems(p: CellParams, limits: CellLimits = {}): CellLimitProblem[] {
  // an unset limit (undefined, e.g. a flag not given) keeps its default rather than switching the check off
  const set = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as CellLimits;
  const l = { ...DEFAULT_CELL_LIMITS, ...set };
  const problems = new ProblemList();
  if (!["baseline", "speculative", "parallel", "bench"].includes(p.kind))
    problems.add("kind", p.kind, `kind "${String(p.kind)}" is not baseline, speculative, parallel or bench`);
  if (!(ENGINE_NAMES as readonly string[]).includes(p.engine))
    problems.add("engine", p.engine, `engine "${String(p.engine)}" is not one of ${ENGINE_NAMES.join(", ")}`);
  checkModel(problems, "target", p.target);
  checkModel(problems, "draft", p.draft);
  const spec = specTypeTraits(p.specType ?? DEFAULT_SPEC_TYPE);
  if (spec.unknown.length > 0)
    problems.add("specType", p.specType, `unknown speculation type ${spec.unknown.join(", ")}`);
  // n-gram and MTP types speculate without a draft model
  if (p.kind === "speculative" && p.draft === undefined && spec.draftModel)
    problems.add(
      "draft",
      undefined,
      `a speculative cell of spec type ${p.specType ?? DEFAULT_SPEC_TYPE} needs a draft model`,
    );
  for (const [key, value] of Object.entries(p.specSettings ?? {}))
    problems.int(`specSettings.${key}`, value, 0, 1_000_000);
  checkK(problems, p, l);
  if (p.pMin !== undefined) problems.real("pMin", p.pMin, 0, 1);
  if (p.nParallel !== undefined) problems.int("nParallel", p.nParallel, 1, 64);
  if (p.pSplit !== undefined) problems.real("pSplit", p.pSplit, 0, 1);
  problems.real("temperature", p.temperature, 0, l.temperatureMax, "temperatureMax");
  problems.int("nPredict", p.nPredict, 1, l.nPredictMax, "nPredictMax");
  problems.int("seed", p.seed, 0, SEED_MAX);
  problems.int("repeat", p.repeat, 0, Number.MAX_SAFE_INTEGER);
  if (p.kind === "bench") {
    // llama-bench generates from synthetic tokens: its cells carry no prompt, a repetition count instead
    if (p.bench === undefined)
      problems.add("bench", undefined, "a bench cell needs its llama-bench settings");
    else {
      problems.int("bench.repetitions", p.bench.repetitions, 1, 1000);
      if (p.bench.nPrompt !== undefined)
        problems.int("bench.nPrompt", p.bench.nPrompt, 1, l.ctxMax, "ctxMax");
    }
  } else if (typeof p.prompt !== "string" || p.prompt === "") {
    problems.add("prompt", p.prompt, "the prompt is empty");
  } else {
    const bytes = Buffer.byteLength(p.prompt, "utf8");
    if (bytes > l.promptBytesMax)
      problems.add(
        "prompt",
        `${bytes} bytes`,
        `the prompt is ${bytes} bytes, above ${l.promptBytesMax}${raiseHint("promptBytesMax")}`,
      );
    else if (p.promptHash !== sha256Hex(p.prompt))
      problems.add(
        "promptHash",
        p.promptHash,
        "promptHash is not the sha256 of the prompt (corrupted or altered cell)",
      );
  }
  if (p.concurrency !== undefined)
    problems.int("concurrency", p.concurrency, 1, l.concurrencyMax, "concurrencyMax");
  if (p.requests !== undefined) problems.int("requests", p.requests, 1, l.requestsMax, "requestsMax");
  if (p.kind === "parallel" && p.concurrency === undefined)
    problems.add("concurrency", undefined, "a parallel cell needs a concurrency");
  const llama = p.llama as CellParams["llama"] | undefined;
  if (llama === undefined) {
    problems.add("llama", undefined, "llama settings are missing");
  } else {
    problems.int("llama.ctx", llama.ctx, 64, l.ctxMax, "ctxMax");
    problems.int("llama.gpuLayers", llama.gpuLayers, 0, 100_000);
    if (llama.threads !== undefined)
      problems.int("llama.threads", llama.threads, 1, l.threadsMax, "threadsMax");
    if (llama.batch !== undefined) problems.int("llama.batch", llama.batch, 1, l.batchMax, "batchMax");
    if (!["auto", "on", "off"].includes(llama.flashAttn))
      problems.add("llama.flashAttn", llama.flashAttn, 'llama.flashAttn must be "auto", "on" or "off"');
  }
  return problems.items;
}

/**
 * Throws RejectedParameterError listing every value of the cell outside the schema and this agent's
 * limits (K, n_predict, context, prompt size, temperature, ...). Call before a cell runs; the error's
 * message is what the cell's result records.
 */
export function validateCellParams(cell: CellParams | Cell, limits: CellLimits = {}): void {
  const problems = cellLimitProblems(cell, limits);
  if (problems.length === 0) return;
  const id = "cellId" in cell ? ` ${cell.cellId}` : "";
  throw new RejectedParameterError(
    `cell${id} refused by this agent: ${problems.map((p) => p.message).join("; ")}`,
    { problems, ...("cellId" in cell ? { cellId: cell.cellId } : {}) },
  );
}
