// llama.cpp's draft/target vocabulary rules (common/speculative.cpp, examples/speculative), checked up front:
// llama-speculative crashes and llama-server silently drops speculation when they fail.
import { IncompatibleModelsError } from "../errors.js";
import type { GgufVocab } from "./gguf-vocab.js";

/** llama.cpp SPEC_VOCAB_MAX_SIZE_DIFFERENCE. */
export const SPEC_VOCAB_MAX_SIZE_DIFFERENCE = 128;
/** llama.cpp SPEC_VOCAB_CHECK_START_TOKEN_ID: ids below it (special tokens) may differ. */
export const SPEC_VOCAB_CHECK_START_TOKEN_ID = 5;

export interface PairModel {
  /** How the error names the model: a manifest name or a file name. */
  name: string;
  vocab: GgufVocab;
}

/** Throws IncompatibleModelsError naming both models and the first rule that fails; returns if they pair. */
export function checkDraftCompatibility(target: PairModel, draft: PairModel): void {
  const t = target.vocab;
  const d = draft.vocab;
  const fail = (rule: string, problem: string, extra: Record<string, unknown> = {}): never => {
    throw new IncompatibleModelsError(
      `draft ${draft.name} cannot be paired with target ${target.name}: ${problem}. ` +
        "llama.cpp needs the draft to share the target's tokenizer; pick a draft from the same model family.",
      { target: target.name, draft: draft.name, rule, ...extra },
    );
  };
  if (t.model !== d.model) {
    fail("vocab-type", `vocabulary types differ (target ${t.model}, draft ${d.model})`, {
      targetValue: t.model,
      draftValue: d.model,
    });
  }
  if (t.addBos !== d.addBos || t.bosId !== d.bosId) {
    fail(
      "bos",
      `BOS handling differs (target add_bos=${String(t.addBos)} bos_id=${String(t.bosId)}, ` +
        `draft add_bos=${String(d.addBos)} bos_id=${String(d.bosId)})`,
    );
  }
  if (t.addEos !== d.addEos || t.eosId !== d.eosId) {
    fail(
      "eos",
      `EOS handling differs (target add_eos=${String(t.addEos)} eos_id=${String(t.eosId)}, ` +
        `draft add_eos=${String(d.addEos)} eos_id=${String(d.eosId)})`,
    );
  }
  const sizeDifference = Math.abs(t.tokens.length - d.tokens.length);
  if (sizeDifference > SPEC_VOCAB_MAX_SIZE_DIFFERENCE) {
    fail(
      "vocab-size",
      `vocabulary sizes differ by ${sizeDifference} (target ${t.tokens.length}, draft ${d.tokens.length}; ` +
        `at most ${SPEC_VOCAB_MAX_SIZE_DIFFERENCE} allowed)`,
      { targetValue: t.tokens.length, draftValue: d.tokens.length },
    );
  }
  const common = Math.min(t.tokens.length, d.tokens.length);
  for (let id = SPEC_VOCAB_CHECK_START_TOKEN_ID; id < common; id++) {
    if (t.tokens[id] !== d.tokens[id]) {
      fail(
        "token-text",
        `token ${id} differs (target ${JSON.stringify(t.tokens[id])}, draft ${JSON.stringify(d.tokens[id])})`,
        { tokenId: id, targetValue: t.tokens[id], draftValue: d.tokens[id] },
      );
    }
  }
}
