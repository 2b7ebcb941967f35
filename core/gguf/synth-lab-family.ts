// The lab family: a target whose single-token pass costs what a large model's does (it is bandwidth-bound:
// every weight is read once per pass, and a batch of K+1 positions reads them once too), and drafts that are
// genuinely smaller sub-networks of it, so speculation pays here the way it does on real pairs.
//
// Target: `blocks` llama blocks. The first `coreBlocks` carry the signal. Every later ("refining") block b adds
// its attention and FFN outputs scaled by eps_b = refineScale * refineDecay^(b - coreBlocks): small
// corrections the shallower drafts never see. Each block's FFN has `activeFfn` live units and is
// zero-padded to the width that makes the file `targetMib`: a padded unit's down-projection column is zero,
// so it contributes exactly 0. The bulk costs bandwidth, never behaviour.
//
// Drafts: early exits. draft-d<D> is the target's first D blocks with the padding cut off (the same bytes:
// its tensors are slices of the target's), then the output norm and head. Its misalignment is the sum of
// the refining blocks it skips; its confidence (logit scale) is `draftConfidence` times the target's, via
// the output norm weight, which is what makes acceptance under rejection sampling fall with temperature.
// A control with independent weights and a model whose vocabulary cannot pair complete the family.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { SeededGaussian } from "./seeded-gaussian.js";
import { synthLlamaMetadata, synthLlamaWeights, synthLlamaDocument } from "./synth-llama.js";
import type { SynthLlamaShape } from "./synth-llama.js";
import { buildSynthVocab } from "./synth-vocab.js";
import type { SynthVocab } from "./synth-vocab.js";
import { writeGguf } from "./write-gguf.js";
import type { GgufTensorInput, GgufTensorPiece } from "./write-gguf.js";

export type LabRole = "target" | "draft" | "control" | "vocab-mismatch";

export interface LabShape {
  embeddingLength: number;
  headCount: number;
  /** Blocks in the target. */
  blocks: number;
  /** Blocks at full strength; the rest are refining blocks scaled by eps_b. */
  coreBlocks: number;
  /** Live FFN units per block (what drafts keep); the target pads every FFN with zeros beyond them. */
  activeFfn: number;
  contextLength: number;
}

/** The demo's shape: 24 blocks of width 128, 4 of them core, 256 live FFN units each. */
export const LAB_SHAPE: LabShape = {
  embeddingLength: 128,
  headCount: 4,
  blocks: 24,
  coreBlocks: 4,
  activeFfn: 256,
  contextLength: 2048,
};

export const LAB_DEFAULTS = {
  targetMib: 160,
  draftDepths: [20, 12, 8, 7, 6] as readonly number[],
  refineScale: 0.6,
  refineDecay: 0.8,
  draftConfidence: 0.5,
};

export interface LabFamilyOptions {
  outDir: string;
  seed: number;
  /** Target file size in MiB (1 MiB = 2^20 bytes); the FFN padding is sized to reach it. @default 160 */
  targetMib?: number;
  /** One early-exit draft per depth: the number of the target's blocks it keeps. @default [20, 12, 8, 7, 6] */
  draftDepths?: readonly number[];
  /** eps of the first refining block: how much each refining block changes the output. @default 0.6 */
  refineScale?: number;
  /** Ratio of each refining block's eps to the previous one's. @default 0.8 */
  refineDecay?: number;
  /** The drafts' logit scale relative to the target's (1 = equally confident, < 1 flatter). @default 0.5 */
  draftConfidence?: number;
  /** @default LAB_SHAPE */
  shape?: LabShape;
  /** Called as each file is written (after every tensor). */
  onProgress?: (progress: LabProgress) => void;
}

export interface LabProgress {
  file: string;
  writtenBytes: number;
  totalBytes: number;
}

export interface LabFile {
  /** File name inside outDir: target.gguf, draft-d<D>.gguf, draft-control.gguf, vocab-mismatch.gguf. */
  file: string;
  path: string;
  role: LabRole;
  /** Blocks kept (drafts). */
  depth?: number;
  blocks: number;
  feedForwardLength: number;
  parameters: number;
  bytes: number;
  sha256: string;
}

/** Words in the family's vocabulary (735 tokens); the mismatch model has 200 fewer (535, beyond 128). */
const WORDS = 400;
const MISMATCH_WORDS = 200;
/** Logit std of the target for a unit-RMS final state: the top token usually leads by a few nats. */
const LOGIT_STD = 8;
const MIB = 1024 * 1024;
const F16_BYTES = 2;

export function labDraftFileName(depth: number): string {
  return `draft-d${depth}.gguf`;
}

/** The target's FFN width for a file of `targetMib`: the largest multiple of 64 that fits. */
export function labTargetFfn(shape: LabShape, vocabSize: number, targetMib: number): number {
  const d = shape.embeddingLength;
  const fixedBytes = F16_BYTES * (2 * d * vocabSize + shape.blocks * 4 * d * d);
  const perUnitBytes = F16_BYTES * shape.blocks * 3 * d;
  const ffn = Math.floor((targetMib * MIB - fixedBytes) / perUnitBytes / 64) * 64;
  if (ffn < shape.activeFfn) {
    const minMib = (fixedBytes + perUnitBytes * shape.activeFfn) / MIB;
    throw new RangeError(
      `targetMib ${targetMib} is below this shape's smallest target (${minMib.toFixed(1)} MiB, no padding); ` +
        "give a larger size",
    );
  }
  return ffn;
}

interface Block {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  o: Float32Array;
  gate: Float32Array;
  up: Float32Array;
  /** [activeFfn, d] in ggml order: d rows of activeFfn values. */
  down: Float32Array;
}

interface Network {
  embedding: Float32Array;
  head: Float32Array;
  blocks: Block[];
}

// One stream per tensor: a family member never depends on which other members or sizes were asked for.
function streamSeed(seed: number, label: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}:lab:${label}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

function gaussian(seed: number, label: string, length: number, std: number): Float32Array {
  return new SeededGaussian(streamSeed(seed, label)).gaussianArray(length, std);
}

/** The live weights of `shape` (F32 in memory, a few MB); `label` separates independent networks. */
function buildNetwork(
  shape: LabShape,
  vocab: SynthVocab,
  seed: number,
  label: string,
  scaleOf: (block: number) => number,
): Network {
  const d = shape.embeddingLength;
  const f = shape.activeFfn;
  const n = vocab.tokens.length;
  const head = gaussian(seed, `${label}/output`, d * n, LOGIT_STD / Math.sqrt(d));
  // special and byte tokens get zero rows, so EOS and raw bytes are practically never sampled
  head.fill(0, 0, vocab.firstWordlikeId * d);
  const blocks: Block[] = [];
  for (let b = 0; b < shape.blocks; b++) {
    const s = scaleOf(b);
    const g = (name: string, length: number, std: number): Float32Array =>
      gaussian(seed, `${label}/blk.${b}.${name}`, length, std);
    blocks.push({
      q: g("attn_q", d * d, 1 / Math.sqrt(d)),
      k: g("attn_k", d * d, 1 / Math.sqrt(d)),
      v: g("attn_v", d * d, 1 / Math.sqrt(d)),
      o: g("attn_output", d * d, s / Math.sqrt(d)),
      gate: g("ffn_gate", d * f, 1 / Math.sqrt(d)),
      up: g("ffn_up", d * f, 1 / Math.sqrt(d)),
      down: g("ffn_down", f * d, s / Math.sqrt(f)),
    });
  }
  return { embedding: gaussian(seed, `${label}/token_embd`, d * n, 1), head, blocks };
}

/** down [activeFfn, d] padded to [ffn, d]: each of the d rows gets ffn - activeFfn zeros after its values. */
function* paddedRows(down: Float32Array, active: number, ffn: number): Generator<GgufTensorPiece> {
  for (let r = 0; r < down.length / active; r++) {
    yield down.subarray(r * active, (r + 1) * active);
    if (ffn > active) yield { zeros: ffn - active };
  }
}

/** The GGUF tensors of the first `depth` blocks of `net`, each FFN padded to `ffn` units. */
function networkTensors(
  shape: LabShape,
  net: Network,
  depth: number,
  ffn: number,
  outputNorm: number,
): GgufTensorInput[] {
  const d = shape.embeddingLength;
  const f = shape.activeFfn;
  const n = net.embedding.length / d;
  const norm = (value: number): Float32Array => new Float32Array(d).fill(value);
  const tensors: GgufTensorInput[] = [
    { name: "token_embd.weight", shape: [d, n], dtype: "F16", data: net.embedding },
    { name: "output_norm.weight", shape: [d], dtype: "F32", data: norm(outputNorm) },
    { name: "output.weight", shape: [d, n], dtype: "F16", data: net.head },
  ];
  const padded = (values: Float32Array): Float32Array | (() => Iterable<GgufTensorPiece>) =>
    ffn === f ? values : () => [values, { zeros: d * (ffn - f) }];
  for (const [b, blk] of net.blocks.slice(0, depth).entries()) {
    const p = `blk.${b}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, shape: [d], dtype: "F32", data: norm(1) },
      { name: `${p}attn_q.weight`, shape: [d, d], dtype: "F16", data: blk.q },
      { name: `${p}attn_k.weight`, shape: [d, d], dtype: "F16", data: blk.k },
      { name: `${p}attn_v.weight`, shape: [d, d], dtype: "F16", data: blk.v },
      { name: `${p}attn_output.weight`, shape: [d, d], dtype: "F16", data: blk.o },
      { name: `${p}ffn_norm.weight`, shape: [d], dtype: "F32", data: norm(1) },
      { name: `${p}ffn_gate.weight`, shape: [d, ffn], dtype: "F16", data: padded(blk.gate) },
      { name: `${p}ffn_up.weight`, shape: [d, ffn], dtype: "F16", data: padded(blk.up) },
      {
        name: `${p}ffn_down.weight`,
        shape: [ffn, d],
        dtype: "F16",
        data: ffn === f ? blk.down : () => paddedRows(blk.down, f, ffn),
      },
    );
  }
  return tensors;
}

function llamaShape(shape: LabShape, blocks: number, ffn: number): SynthLlamaShape {
  return {
    embeddingLength: shape.embeddingLength,
    blockCount: blocks,
    headCount: shape.headCount,
    headCountKv: shape.headCount,
    feedForwardLength: ffn,
    contextLength: shape.contextLength,
  };
}

function checkOptions(shape: LabShape, o: Required<Omit<LabFamilyOptions, "onProgress" | "shape">>): void {
  const positiveInt = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt("embeddingLength", shape.embeddingLength);
  positiveInt("headCount", shape.headCount);
  positiveInt("blocks", shape.blocks);
  positiveInt("coreBlocks", shape.coreBlocks);
  positiveInt("activeFfn", shape.activeFfn);
  if (shape.embeddingLength % shape.headCount !== 0)
    throw new RangeError("embeddingLength must be a multiple of headCount");
  if (shape.coreBlocks > shape.blocks) throw new RangeError("coreBlocks must not exceed blocks");
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`seed must be an integer, got ${o.seed}`);
  if (!(o.targetMib > 0)) throw new RangeError(`targetMib must be > 0, got ${o.targetMib}`);
  for (const depth of o.draftDepths) {
    if (!Number.isInteger(depth) || depth < shape.coreBlocks || depth > shape.blocks) {
      throw new RangeError(
        `draft depth ${depth} is outside ${shape.coreBlocks}..${shape.blocks} (the core blocks up to the target's)`,
      );
    }
  }
  if (new Set(o.draftDepths).size !== o.draftDepths.length)
    throw new RangeError(`draft depths repeat: ${o.draftDepths.join(",")}`);
  if (!(o.refineScale >= 0)) throw new RangeError(`refineScale must be >= 0, got ${o.refineScale}`);
  if (!(o.refineDecay > 0)) throw new RangeError(`refineDecay must be > 0, got ${o.refineDecay}`);
  if (!(o.draftConfidence > 0)) throw new RangeError(`draftConfidence must be > 0, got ${o.draftConfidence}`);
}

/** Writes the lab family into `outDir` (created if missing) and describes each file. */
export async function synthesizeLabFamily(opts: LabFamilyOptions): Promise<LabFile[]> {
  const shape = opts.shape ?? LAB_SHAPE;
  const o = {
    seed: opts.seed,
    outDir: opts.outDir,
    targetMib: opts.targetMib ?? LAB_DEFAULTS.targetMib,
    draftDepths: [...(opts.draftDepths ?? LAB_DEFAULTS.draftDepths)],
    refineScale: opts.refineScale ?? LAB_DEFAULTS.refineScale,
    refineDecay: opts.refineDecay ?? LAB_DEFAULTS.refineDecay,
    draftConfidence: opts.draftConfidence ?? LAB_DEFAULTS.draftConfidence,
  };
  checkOptions(shape, o);
  const vocab = buildSynthVocab(WORDS);
  const ffn = labTargetFfn(shape, vocab.tokens.length, o.targetMib);
  await mkdir(o.outDir, { recursive: true });

  const refine = (b: number): number =>
    b < shape.coreBlocks ? 1 : o.refineScale * o.refineDecay ** (b - shape.coreBlocks);
  const net = buildNetwork(shape, vocab, o.seed, "target", refine);
  const out: LabFile[] = [];
  const write = async (
    file: string,
    role: LabRole,
    tensors: GgufTensorInput[],
    llama: SynthLlamaShape,
    modelVocab: SynthVocab,
    depth?: number,
  ): Promise<void> => {
    const p = path.join(o.outDir, file);
    const doc = {
      metadata: synthLlamaMetadata(`specgrid-lab-${file.replace(/\.gguf$/, "")}`, llama, modelVocab, "F16"),
      tensors,
    };
    const onProgress =
      opts.onProgress &&
      ((writtenBytes: number, totalBytes: number) => opts.onProgress!({ file, writtenBytes, totalBytes }));
    const { bytes, sha256 } = await writeGguf(p, doc, onProgress ? { onProgress } : {});
    const parameters = tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
    out.push({
      file,
      path: p,
      role,
      ...(depth === undefined ? {} : { depth }),
      blocks: llama.blockCount,
      feedForwardLength: llama.feedForwardLength,
      parameters,
      bytes,
      sha256,
    });
  };

  await write(
    "target.gguf",
    "target",
    networkTensors(shape, net, shape.blocks, ffn, 1),
    llamaShape(shape, shape.blocks, ffn),
    vocab,
  );
  for (const depth of o.draftDepths) {
    await write(
      labDraftFileName(depth),
      "draft",
      networkTensors(shape, net, depth, shape.activeFfn, o.draftConfidence),
      llamaShape(shape, depth, shape.activeFfn),
      vocab,
      depth,
    );
  }
  // the control: the shallowest draft's architecture and confidence, with weights of its own
  const controlShape = { ...shape, blocks: shape.coreBlocks };
  const control = buildNetwork(controlShape, vocab, o.seed, "control", () => 1);
  await write(
    "draft-control.gguf",
    "control",
    networkTensors(controlShape, control, shape.coreBlocks, shape.activeFfn, o.draftConfidence),
    llamaShape(shape, shape.coreBlocks, shape.activeFfn),
    vocab,
  );
  const mismatchVocab = buildSynthVocab(MISMATCH_WORDS);
  const mismatchShape = llamaShape(shape, shape.coreBlocks, shape.activeFfn);
  const mismatch = synthLlamaWeights(
    mismatchShape,
    mismatchVocab,
    new SeededGaussian(streamSeed(o.seed, "vocab-mismatch")),
  );
  const mismatchDoc = synthLlamaDocument("specgrid-lab-vocab-mismatch", mismatch, mismatchVocab, "F16");
  await write(
    "vocab-mismatch.gguf",
    "vocab-mismatch",
    [...mismatchDoc.tensors],
    mismatchShape,
    mismatchVocab,
  );
  return out;
}
