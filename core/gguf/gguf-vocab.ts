// The tokenizer facts that decide whether two models can pair for speculative decoding, and a
// fingerprint of the token texts so two vocabularies can be compared without carrying them around.
import { createHash } from "node:crypto";
import type { MetadataValue } from "@huggingface/gguf";
import { readGgufHeader } from "./read-gguf-header.js";

export interface GgufVocabFacts {
  /** `tokenizer.ggml.model`: "llama" (SPM), "gpt2" (BPE), "bert" (WPM), ... */
  model: string;
  size: number;
  bosId?: number;
  eosId?: number;
  addBos?: boolean;
  addEos?: boolean;
  /** sha256 over every token text, each as a u32 little-endian byte length then its UTF-8 bytes. */
  tokensSha256: string;
  /** The first few token texts, for display. */
  firstTokens?: string[];
}

/** Vocabulary facts plus the token texts themselves (for the draft compatibility check). */
export interface GgufVocab extends GgufVocabFacts {
  tokens: readonly string[];
}

const FIRST_TOKENS_SHOWN = 8;

/** The fingerprint stored as `tokensSha256`; length-prefixed so ["ab","c"] and ["a","bc"] differ. */
export function tokensSha256(tokens: readonly string[]): string {
  const hash = createHash("sha256");
  const len = Buffer.alloc(4);
  for (const t of tokens) {
    const bytes = Buffer.from(t, "utf8");
    len.writeUInt32LE(bytes.length, 0);
    hash.update(len);
    hash.update(bytes);
  }
  return hash.digest("hex");
}

function optionalNumber(v: MetadataValue | undefined): number | undefined {
  return typeof v === "number" || typeof v === "bigint" ? Number(v) : undefined;
}

function optionalBoolean(v: MetadataValue | undefined): boolean | undefined {
  return typeof v === "boolean" ? v : undefined;
}

/** Vocabulary of a parsed header; a model without one reports model "none" and size 0. */
export function vocabFromMetadata(metadata: Record<string, MetadataValue>): GgufVocab {
  const raw = metadata["tokenizer.ggml.tokens"];
  const tokens = Array.isArray(raw) ? raw.map(String) : [];
  const model = metadata["tokenizer.ggml.model"];
  const vocab: GgufVocab = {
    model: typeof model === "string" ? model : "none",
    size: tokens.length,
    tokensSha256: tokensSha256(tokens),
    firstTokens: tokens.slice(0, FIRST_TOKENS_SHOWN),
    tokens,
  };
  const bosId = optionalNumber(metadata["tokenizer.ggml.bos_token_id"]);
  const eosId = optionalNumber(metadata["tokenizer.ggml.eos_token_id"]);
  const addBos = optionalBoolean(metadata["tokenizer.ggml.add_bos_token"]);
  const addEos = optionalBoolean(metadata["tokenizer.ggml.add_eos_token"]);
  if (bosId !== undefined) vocab.bosId = bosId;
  if (eosId !== undefined) vocab.eosId = eosId;
  if (addBos !== undefined) vocab.addBos = addBos;
  if (addEos !== undefined) vocab.addEos = addEos;
  return vocab;
}

/** Reads a model's vocabulary, token texts included, from its GGUF header. */
export async function readGgufVocab(file: string): Promise<GgufVocab> {
  return vocabFromMetadata((await readGgufHeader(file)).metadata);
}
