// Memory a model needs once loaded, from its GGUF facts: weights + KV cache + a stated compute allowance.
//   weights  = the file's tensor data section (exact for any quantization)
//   KV cache = blockCount × ctx × parallel × headCountKv × (keyLength + valueLength) × bytes per element
//   compute  = ubatch × (4·embeddingLength + 2·feedForwardLength + vocabSize) × 4 bytes
// The compute allowance models llama.cpp's compute buffer at one ubatch of F32 activations (hidden
// states, FFN intermediates, logits), assuming flash attention so the attention scores do not scale with
// ctx. On the reference tiny models it reads 3.44 MiB against llama.cpp's measured 3.26 MiB (target, ubatch
// 512) and 2.04 against 2.01 MiB (n_embd 64 model): close, and on the safe side.
import { z } from "zod";
import type { GgufFacts } from "../gguf/read-gguf-facts.js";

const MIB = 1024 * 1024;

/** KV cache element types llama.cpp accepts for --cache-type-k/-v, with bytes per element. */
export const KV_TYPE_BYTES = {
  f32: 4,
  f16: 2,
  bf16: 2,
  q8_0: 34 / 32,
  q5_1: 24 / 32,
  q5_0: 22 / 32,
  q4_1: 20 / 32,
  q4_0: 18 / 32,
  iq4_nl: 18 / 32,
} as const;

export type KvCacheType = keyof typeof KV_TYPE_BYTES;

export interface MemoryOptions {
  /** Context tokens per sequence (node-llama-cpp's contextSize; llama-server's -c divided by -np). */
  ctx: number;
  /** Sequences (slots) sharing the context. */
  parallel: number;
  /** @default "f16" (llama.cpp's default cache type) */
  kvType?: KvCacheType;
  /** Micro-batch size the compute buffer is sized for. @default 512 (llama.cpp's default -ub) */
  ubatch?: number;
}

export interface ModelMemory {
  weightsMib: number;
  kvCacheMib: number;
  computeAllowanceMib: number;
  totalMib: number;
}

export interface PairMemory {
  target: ModelMemory;
  draft: ModelMemory;
  /** The target alone (baseline). */
  targetAloneMib: number;
  /** Target and draft loaded together (speculative). */
  withDraftMib: number;
  /** What speculation costs over the baseline, in MiB and as a percentage of the baseline. */
  overheadMib: number;
  overheadPct: number;
}

/** The GGUF facts the estimate reads (a GgufFacts fits). */
export type MemoryFacts = Pick<
  GgufFacts,
  | "tensorDataBytes"
  | "blockCount"
  | "embeddingLength"
  | "feedForwardLength"
  | "headCountKv"
  | "keyLength"
  | "valueLength"
> & { vocab: Pick<GgufFacts["vocab"], "size"> };

function positiveInteger(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** Weights, KV cache and compute allowance of one model, in MiB. */
export function estimateModelMemory(facts: MemoryFacts, opts: MemoryOptions): ModelMemory {
  const ctx = positiveInteger("ctx", opts.ctx);
  const parallel = positiveInteger("parallel", opts.parallel);
  const ubatch = positiveInteger("ubatch", opts.ubatch ?? 512);
  const kvBytes = KV_TYPE_BYTES[opts.kvType ?? "f16"];
  const weightsMib = facts.tensorDataBytes / MIB;
  const kvWidth = facts.headCountKv * (facts.keyLength + facts.valueLength);
  const kvCacheMib = (facts.blockCount * ctx * parallel * kvWidth * kvBytes) / MIB;
  // FFN width unknown (e.g. MoE files): llama's usual 4 × n_embd stands in
  const ffn = facts.feedForwardLength ?? 4 * facts.embeddingLength;
  const computeAllowanceMib = (ubatch * (4 * facts.embeddingLength + 2 * ffn + facts.vocab.size) * 4) / MIB;
  return {
    weightsMib,
    kvCacheMib,
    computeAllowanceMib,
    totalMib: weightsMib + kvCacheMib + computeAllowanceMib,
  };
}

/** Target alone versus target + draft with the same context and slots, and the overhead of the draft. */
export function estimatePairMemory(target: MemoryFacts, draft: MemoryFacts, opts: MemoryOptions): PairMemory {
  const t = estimateModelMemory(target, opts);
  const d = estimateModelMemory(draft, opts);
  const withDraftMib = t.totalMib + d.totalMib;
  return {
    target: t,
    draft: d,
    targetAloneMib: t.totalMib,
    withDraftMib,
    overheadMib: d.totalMib,
    overheadPct: (d.totalMib / t.totalMib) * 100,
  };
}

const count = z.number().int().nonnegative();
const MEMORY_FACTS_SCHEMA = z.object({
  tensorDataBytes: z.number().nonnegative(),
  blockCount: count,
  embeddingLength: count,
  feedForwardLength: count.optional(),
  headCountKv: count,
  keyLength: count,
  valueLength: count,
  vocab: z.object({ size: count }),
});

/** The estimate's facts from GGUF facts sent as JSON (an agent's inventory); undefined when they lack any. */
export function memoryFactsOf(json: unknown): MemoryFacts | undefined {
  const parsed = MEMORY_FACTS_SCHEMA.safeParse(json);
  if (!parsed.success) return undefined;
  const { feedForwardLength, ...facts } = parsed.data;
  return feedForwardLength === undefined ? facts : { ...facts, feedForwardLength };
}
