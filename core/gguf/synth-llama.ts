// Weights and GGUF document of one synthetic llama model. The weights are random, but shaped so the
// next-token distribution is sharp: unit-variance embeddings, 1/sqrt(fan_in) projections, unit norms, and an
// lm head whose logits have a standard deviation of `logitStd` (8 by default, so the top token usually
// leads by a few nats). Special and byte tokens get zero lm-head rows: a logit of 0 against competitors
// around ±8·3 means EOS and raw bytes are practically never sampled, and generation runs to n_predict.
import { SeededGaussian } from "./seeded-gaussian.js";
import type { SynthVocab } from "./synth-vocab.js";
import { synthVocabMetadata } from "./synth-vocab.js";
import type { GgufDocument, GgufMetadataEntry, GgufTensorDtype, GgufTensorInput } from "./write-gguf.js";

export interface SynthLlamaShape {
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  headCountKv: number;
  feedForwardLength: number;
  contextLength: number;
  /** Standard deviation of the logits for a unit-RMS final hidden state. @default 8 */
  logitStd?: number;
}

/** A model's tensors before they are written (always F32 in memory). */
export interface SynthWeights {
  shape: SynthLlamaShape;
  tensors: { name: string; shape: number[]; data: Float32Array }[];
  /** lm-head rows kept at zero (special and byte tokens), also after noise is added. */
  zeroOutputRows: number;
}

const OUTPUT = "output.weight";

/** Random weights for `shape` and a vocabulary of `vocab.tokens.length` tokens. */
export function synthLlamaWeights(
  shape: SynthLlamaShape,
  vocab: SynthVocab,
  rng: SeededGaussian,
): SynthWeights {
  const nEmbd = shape.embeddingLength;
  const nVocab = vocab.tokens.length;
  if (nEmbd % shape.headCount !== 0) throw new RangeError("embeddingLength must be a multiple of headCount");
  const nEmbdKv = (nEmbd / shape.headCount) * shape.headCountKv;
  const nFf = shape.feedForwardLength;
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
  const tensors: SynthWeights["tensors"] = [];
  const add = (name: string, dims: number[], data: Float32Array): void => {
    tensors.push({ name, shape: dims, data });
  };

  add("token_embd.weight", [nEmbd, nVocab], rng.gaussianArray(nEmbd * nVocab, 1));
  add("output_norm.weight", [nEmbd], ones(nEmbd));
  const head = rng.gaussianArray(nEmbd * nVocab, (shape.logitStd ?? 8) / Math.sqrt(nEmbd));
  head.fill(0, 0, vocab.firstWordlikeId * nEmbd);
  add(OUTPUT, [nEmbd, nVocab], head);
  for (let b = 0; b < shape.blockCount; b++) {
    const p = `blk.${b}.`;
    const proj = (rows: number, cols: number, fanIn: number): Float32Array =>
      rng.gaussianArray(rows * cols, 1 / Math.sqrt(fanIn));
    add(`${p}attn_norm.weight`, [nEmbd], ones(nEmbd));
    add(`${p}attn_q.weight`, [nEmbd, nEmbd], proj(nEmbd, nEmbd, nEmbd));
    add(`${p}attn_k.weight`, [nEmbd, nEmbdKv], proj(nEmbd, nEmbdKv, nEmbd));
    add(`${p}attn_v.weight`, [nEmbd, nEmbdKv], proj(nEmbd, nEmbdKv, nEmbd));
    add(`${p}attn_output.weight`, [nEmbd, nEmbd], proj(nEmbd, nEmbd, nEmbd));
    add(`${p}ffn_norm.weight`, [nEmbd], ones(nEmbd));
    add(`${p}ffn_gate.weight`, [nEmbd, nFf], proj(nEmbd, nFf, nEmbd));
    add(`${p}ffn_up.weight`, [nEmbd, nFf], proj(nEmbd, nFf, nEmbd));
    add(`${p}ffn_down.weight`, [nFf, nEmbd], proj(nFf, nEmbd, nFf));
  }
  return { shape, tensors, zeroOutputRows: vocab.firstWordlikeId };
}

function populationStd(a: Float32Array): number {
  let sum = 0;
  for (const x of a) sum += x;
  const mean = sum / a.length;
  let sq = 0;
  for (const x of a) sq += (x - mean) ** 2;
  return Math.sqrt(sq / a.length);
}

/**
 * A copy of `weights` with N(0, (level·std)²) added to every tensor, std being that tensor's own spread.
 * Norm weights (all ones, std 0) stay as they are; the zero lm-head rows stay zero.
 */
export function addRelativeNoise(weights: SynthWeights, level: number, rng: SeededGaussian): SynthWeights {
  const tensors = weights.tensors.map((t) => {
    const data = Float32Array.from(t.data);
    const sigma = level * populationStd(t.data);
    if (sigma > 0) for (let i = 0; i < data.length; i++) data[i] = data[i]! + rng.nextGaussian() * sigma;
    if (t.name === OUTPUT) data.fill(0, 0, weights.zeroOutputRows * t.shape[0]!);
    return { ...t, data };
  });
  return { ...weights, tensors };
}

/** The GGUF document of a llama model; 2-D tensors in `matrixDtype`, 1-D (norms) always F32. */
export function synthLlamaDocument(
  name: string,
  weights: SynthWeights,
  vocab: SynthVocab,
  matrixDtype: GgufTensorDtype,
): GgufDocument {
  const tensors: GgufTensorInput[] = weights.tensors.map((t) => ({
    ...t,
    dtype: t.shape.length === 1 ? "F32" : matrixDtype,
  }));
  return { metadata: synthLlamaMetadata(name, weights.shape, vocab, matrixDtype), tensors };
}

/** The llama.* and tokenizer.* metadata of a synthetic model. */
export function synthLlamaMetadata(
  name: string,
  s: SynthLlamaShape,
  vocab: SynthVocab,
  matrixDtype: GgufTensorDtype,
): GgufMetadataEntry[] {
  return [
    { key: "general.architecture", type: "string", value: "llama" },
    { key: "general.name", type: "string", value: name },
    { key: "general.file_type", type: "u32", value: matrixDtype === "F32" ? 0 : 1 },
    { key: "llama.context_length", type: "u32", value: s.contextLength },
    { key: "llama.embedding_length", type: "u32", value: s.embeddingLength },
    { key: "llama.block_count", type: "u32", value: s.blockCount },
    { key: "llama.feed_forward_length", type: "u32", value: s.feedForwardLength },
    { key: "llama.attention.head_count", type: "u32", value: s.headCount },
    { key: "llama.attention.head_count_kv", type: "u32", value: s.headCountKv },
    { key: "llama.rope.dimension_count", type: "u32", value: s.embeddingLength / s.headCount },
    { key: "llama.rope.freq_base", type: "f32", value: 10000 },
    { key: "llama.attention.layer_norm_rms_epsilon", type: "f32", value: 1e-5 },
    { key: "llama.vocab_size", type: "u32", value: vocab.tokens.length },
    ...synthVocabMetadata(vocab),
  ];
}
