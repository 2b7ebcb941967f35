// The synthetic models' tokenizer: llama.cpp's SPM ("llama") tokenizer with byte fallback. Ids: 5 special
// tokens, the 256 byte tokens <0x00>..<0xFF>, single characters (so any ASCII prompt tokenizes), then
// "▁word" tokens. Prompts tokenize to characters (SPM only merges pairs whose concatenation is itself a
// token); the models generate whole words, which is what makes their output read as text.
import type { GgufMetadataEntry } from "./write-gguf.js";
import { SYNTH_WORDS } from "./synth-words.js";

/** llama.cpp token types (llama_token_type). */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

const SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"] as const;
const CHARACTERS = [
  "▁",
  ..."abcdefghijklmnopqrstuvwxyz",
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  ..."0123456789",
  ...".,!?;:'\"-()",
];

/** ChatML, the template the synthetic models advertise (`tokenizer.chat_template`). */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export interface SynthVocab {
  tokens: string[];
  scores: number[];
  tokenTypes: number[];
  unkId: number;
  bosId: number;
  eosId: number;
  eotId: number;
  /** Ids below this (special and byte tokens) get zero output rows, so they are practically never sampled. */
  firstWordlikeId: number;
}

/** Builds the vocabulary with the first `wordCount` words; size = 5 + 256 + 74 + wordCount. */
export function buildSynthVocab(wordCount: number): SynthVocab {
  if (!Number.isInteger(wordCount) || wordCount < 0 || wordCount > SYNTH_WORDS.length) {
    throw new RangeError(`wordCount must be an integer in [0, ${SYNTH_WORDS.length}], got ${wordCount}`);
  }
  const tokens: string[] = [];
  const scores: number[] = [];
  const tokenTypes: number[] = [];
  const push = (text: string, score: number, type: number): void => {
    tokens.push(text);
    scores.push(score);
    tokenTypes.push(type);
  };
  SPECIAL_TOKENS.forEach((t, i) => push(t, 0, i === 0 ? TOKEN_TYPE.unknown : TOKEN_TYPE.control));
  for (let b = 0; b < 256; b++) {
    push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, 0, TOKEN_TYPE.byte);
  }
  const firstWordlikeId = tokens.length;
  // SPM merges prefer higher scores; characters rank below every word
  CHARACTERS.forEach((c, i) => push(c, -1000 - i, TOKEN_TYPE.normal));
  SYNTH_WORDS.slice(0, wordCount).forEach((w, i) => push(`▁${w}`, -10 - i / 100, TOKEN_TYPE.normal));
  return { tokens, scores, tokenTypes, unkId: 0, bosId: 1, eosId: 2, eotId: 4, firstWordlikeId };
}

/** The tokenizer.* metadata entries for a vocabulary. */
export function synthVocabMetadata(vocab: SynthVocab): GgufMetadataEntry[] {
  return [
    { key: "tokenizer.ggml.model", type: "string", value: "llama" },
    { key: "tokenizer.ggml.pre", type: "string", value: "default" },
    { key: "tokenizer.ggml.tokens", type: "array", itemType: "string", value: vocab.tokens },
    { key: "tokenizer.ggml.scores", type: "array", itemType: "f32", value: vocab.scores },
    { key: "tokenizer.ggml.token_type", type: "array", itemType: "i32", value: vocab.tokenTypes },
    { key: "tokenizer.ggml.unknown_token_id", type: "u32", value: vocab.unkId },
    { key: "tokenizer.ggml.bos_token_id", type: "u32", value: vocab.bosId },
    { key: "tokenizer.ggml.eos_token_id", type: "u32", value: vocab.eosId },
    { key: "tokenizer.ggml.eot_token_id", type: "u32", value: vocab.eotId },
    { key: "tokenizer.ggml.add_bos_token", type: "bool", value: true },
    { key: "tokenizer.ggml.add_eos_token", type: "bool", value: false },
    { key: "tokenizer.ggml.add_space_prefix", type: "bool", value: true },
    { key: "tokenizer.chat_template", type: "string", value: CHATML_TEMPLATE },
  ];
}
