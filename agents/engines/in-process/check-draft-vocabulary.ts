// llama.cpp's rules for pairing a draft with a target (AddonContext::EnsureDraftContextIsCompatibleForSpeculative,
// common_speculative_are_compatible), checked on the loaded models before any cell runs, so a bad pair is
// a clear error naming both files rather than a failure at the first evaluate.
// TODO(gguf): switch to core/gguf/check-pair.ts (checkDraftCompatibility) once it lands; same rules.
import path from "node:path";
import type { LlamaModel } from "node-llama-cpp";
import { IncompatibleModelsError } from "../../../core/errors.js";

/** llama.cpp allows the vocab sizes to differ by at most this many tokens. */
const MAX_VOCAB_SIZE_DIFF = 128;
/** Token texts are compared from this id on (ids below are control tokens llama.cpp ignores). */
const FIRST_COMPARED_TOKEN = 5;

interface VocabFacts {
  type: string;
  tokens: readonly string[];
  bos: number | null;
  eos: number | null;
  addBos: boolean;
  addEos: boolean;
}

export function checkDraftVocabulary(
  target: { model: LlamaModel; path: string },
  draft: { model: LlamaModel; path: string },
): void {
  const t = vocabFacts(target.model);
  const d = vocabFacts(draft.model);
  const names = `target ${path.basename(target.path)} and draft ${path.basename(draft.path)}`;
  const fail = (what: string, details: Record<string, unknown>): never => {
    throw new IncompatibleModelsError(
      `${names} cannot be paired for speculative decoding: ${what}. Use a draft model from the same ` +
        `family as the target (same tokenizer).`,
      { target: target.path, draft: draft.path, ...details },
    );
  };
  if (t.type !== d.type) fail(`vocabulary types differ (${t.type} vs ${d.type})`, { rule: "vocab-type" });
  const diff = Math.abs(t.tokens.length - d.tokens.length);
  if (diff > MAX_VOCAB_SIZE_DIFF) {
    fail(
      `vocabulary sizes ${t.tokens.length} and ${d.tokens.length} differ by ${diff}, more than ${MAX_VOCAB_SIZE_DIFF}`,
      { rule: "vocab-size", targetSize: t.tokens.length, draftSize: d.tokens.length },
    );
  }
  if (t.bos !== d.bos || t.eos !== d.eos || t.addBos !== d.addBos || t.addEos !== d.addEos) {
    fail(
      `special tokens differ (BOS ${t.bos}/${d.bos}, EOS ${t.eos}/${d.eos}, ` +
        `add_bos ${t.addBos}/${d.addBos}, add_eos ${t.addEos}/${d.addEos})`,
      { rule: "special-tokens" },
    );
  }
  const end = Math.min(t.tokens.length, d.tokens.length);
  for (let id = FIRST_COMPARED_TOKEN; id < end; id++) {
    if (t.tokens[id] !== d.tokens[id]) {
      fail(
        `token ${id} differs (target ${JSON.stringify(t.tokens[id])}, draft ${JSON.stringify(d.tokens[id])})`,
        {
          rule: "token-text",
          tokenId: id,
        },
      );
    }
  }
}

function vocabFacts(model: LlamaModel): VocabFacts {
  const ggml = model.fileInfo.metadata.tokenizer?.ggml as Record<string, unknown> | undefined;
  const tokens = Array.isArray(ggml?.tokens) ? (ggml.tokens as unknown[]).map(String) : [];
  return {
    type: String(model.vocabularyType),
    tokens,
    bos: model.tokens.bos,
    eos: model.tokens.eos,
    addBos: ggml?.add_bos_token === true,
    addEos: ggml?.add_eos_token === true,
  };
}
