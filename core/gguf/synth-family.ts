// The synthetic model family: a target, one draft per noise level (target + relative Gaussian noise), an
// independent smaller draft (a misaligned pair) and a model whose vocabulary cannot pair with the target.
// Everything derives from one seed, so the same seed gives byte-identical files.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { SeededGaussian } from "./seeded-gaussian.js";
import { addRelativeNoise, synthLlamaDocument, synthLlamaWeights } from "./synth-llama.js";
import type { SynthLlamaShape } from "./synth-llama.js";
import { buildSynthVocab } from "./synth-vocab.js";
import { writeGguf } from "./write-gguf.js";

export type SynthRole = "target" | "draft" | "draft-small" | "vocab-mismatch";

export interface SynthFile {
  /** File name inside outDir, e.g. `draft-n0.02.gguf`. */
  file: string;
  path: string;
  role: SynthRole;
  /** Relative noise level (drafts only). */
  noise?: number;
  bytes: number;
  sha256: string;
}

export interface SynthFamilyOptions {
  outDir: string;
  /** Relative noise levels, one draft per level; 0 is an identical copy of the target. */
  noise: readonly number[];
  seed: number;
}

/** Words in the target's vocabulary: 5 + 256 + 74 + 400 = 735 tokens. */
const TARGET_WORDS = 400;
/** 200 fewer words: 535 tokens, a size difference above llama.cpp's limit of 128. */
const MISMATCH_WORDS = 200;

const TARGET_SHAPE: SynthLlamaShape = {
  embeddingLength: 128,
  blockCount: 4,
  headCount: 4,
  headCountKv: 4,
  feedForwardLength: 256,
  contextLength: 2048,
};

const SMALL_SHAPE: SynthLlamaShape = {
  embeddingLength: 64,
  blockCount: 2,
  headCount: 4,
  headCountKv: 4,
  feedForwardLength: 128,
  contextLength: 2048,
};

/** `draft-n<level>.gguf` with the level as a plain number: 0, 0.02, 1. */
export function draftFileName(level: number): string {
  return `draft-n${String(level)}.gguf`;
}

// Separate streams per model, so adding a noise level never changes the other files.
function streamSeed(seed: number, label: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}:${label}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** Writes the family into `outDir` (created if missing) and describes each file. */
export async function synthesizeFamily(opts: SynthFamilyOptions): Promise<SynthFile[]> {
  const levels = [...opts.noise];
  for (const level of levels) {
    if (!Number.isFinite(level) || level < 0) throw new RangeError(`noise levels must be >= 0, got ${level}`);
  }
  if (new Set(levels).size !== levels.length)
    throw new RangeError(`noise levels repeat: ${levels.join(",")}`);
  if (!Number.isSafeInteger(opts.seed)) throw new RangeError(`seed must be an integer, got ${opts.seed}`);
  await mkdir(opts.outDir, { recursive: true });

  const vocab = buildSynthVocab(TARGET_WORDS);
  const target = synthLlamaWeights(TARGET_SHAPE, vocab, new SeededGaussian(streamSeed(opts.seed, "target")));
  const out: SynthFile[] = [];
  const write = async (
    file: string,
    role: SynthRole,
    doc: Parameters<typeof writeGguf>[1],
    noise?: number,
  ): Promise<void> => {
    const p = path.join(opts.outDir, file);
    const { bytes, sha256 } = await writeGguf(p, doc);
    out.push({ file, path: p, role, ...(noise === undefined ? {} : { noise }), bytes, sha256 });
  };

  await write("target.gguf", "target", synthLlamaDocument("specgrid-synth-target", target, vocab, "F32"));
  for (const level of levels) {
    const rng = new SeededGaussian(streamSeed(opts.seed, `noise:${level}`));
    const draft = level === 0 ? target : addRelativeNoise(target, level, rng);
    const name = `specgrid-synth-draft-n${level}`;
    await write(draftFileName(level), "draft", synthLlamaDocument(name, draft, vocab, "F32"), level);
  }
  // F16 matrices here, so the writer's F16 path is exercised by real llama.cpp loads too
  const small = synthLlamaWeights(SMALL_SHAPE, vocab, new SeededGaussian(streamSeed(opts.seed, "small")));
  await write(
    "draft-small.gguf",
    "draft-small",
    synthLlamaDocument("specgrid-synth-draft-small", small, vocab, "F16"),
  );
  const mismatchVocab = buildSynthVocab(MISMATCH_WORDS);
  const mismatch = synthLlamaWeights(
    SMALL_SHAPE,
    mismatchVocab,
    new SeededGaussian(streamSeed(opts.seed, "vocab-mismatch")),
  );
  await write(
    "vocab-mismatch.gguf",
    "vocab-mismatch",
    synthLlamaDocument("specgrid-synth-vocab-mismatch", mismatch, mismatchVocab, "F32"),
  );
  return out;
}
