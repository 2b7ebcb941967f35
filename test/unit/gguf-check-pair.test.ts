import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { IncompatibleModelsError } from "../../core/errors.js";
import { checkDraftCompatibility } from "../../core/gguf/check-pair.js";
import type { GgufVocab } from "../../core/gguf/gguf-vocab.js";
import { readGgufVocab } from "../../core/gguf/gguf-vocab.js";
import type { ModelFamily } from "../support/model-family.js";
import { getModelFamily } from "../support/model-family.js";

// Real files from the project's own GGUF writer (the synthetic family in the temp dir): tests read nothing outside the repository.
let family: ModelFamily;
beforeAll(async () => {
  family = await getModelFamily();
});

const TOKENS = ["<unk>", "<s>", "</s>", "<a>", "<b>", ...Array.from({ length: 300 }, (_, i) => `▁w${i}`)];

function vocab(over: Partial<GgufVocab> = {}): GgufVocab {
  const tokens = over.tokens ?? TOKENS;
  return {
    model: "llama",
    size: tokens.length,
    bosId: 1,
    eosId: 2,
    addBos: true,
    addEos: false,
    tokensSha256: "",
    ...over,
    tokens,
  };
}

const replaced = (id: number, text: string): string[] => TOKENS.map((t, i) => (i === id ? text : t));

describe("checkDraftCompatibility", () => {
  it.each([
    ["identical vocabularies", vocab()],
    ["special tokens below id 5 may differ", vocab({ tokens: replaced(3, "<other>") })],
    ["draft 128 tokens shorter", vocab({ tokens: TOKENS.slice(0, TOKENS.length - 128) })],
    [
      "draft 128 tokens longer",
      vocab({ tokens: [...TOKENS, ...Array.from({ length: 128 }, (_, i) => `x${i}`)] }),
    ],
  ])("accepts %s", (_name, draft) => {
    expect(() =>
      checkDraftCompatibility({ name: "tgt", vocab: vocab() }, { name: "dft", vocab: draft }),
    ).not.toThrow();
  });

  it.each([
    [
      "vocab type",
      vocab({ model: "gpt2" }),
      "vocab-type",
      /vocabulary types differ \(target llama, draft gpt2\)/,
    ],
    ["BOS id", vocab({ bosId: 0 }), "bos", /BOS handling differs/],
    ["add_bos", vocab({ addBos: false }), "bos", /BOS handling differs/],
    ["EOS id", vocab({ eosId: 4 }), "eos", /EOS handling differs/],
    ["add_eos", vocab({ addEos: true }), "eos", /EOS handling differs/],
    [
      "size difference 129",
      vocab({ tokens: TOKENS.slice(0, TOKENS.length - 129) }),
      "vocab-size",
      /differ by 129/,
    ],
    ["token text at id 5", vocab({ tokens: replaced(5, "▁other") }), "token-text", /token 5 differs/],
    [
      "token text at the last common id",
      vocab({ tokens: replaced(304, "▁zz") }),
      "token-text",
      /token 304 differs/,
    ],
  ])("rejects a different %s, naming both models and the rule", (_name, draft, rule, message) => {
    let caught: unknown;
    try {
      checkDraftCompatibility({ name: "big-target", vocab: vocab() }, { name: "tiny-draft", vocab: draft });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(IncompatibleModelsError);
    const e = caught as IncompatibleModelsError;
    expect(e.message).toMatch(message);
    expect(e.message).toContain("draft tiny-draft cannot be paired with target big-target");
    expect(e.details).toMatchObject({ rule, target: "big-target", draft: "tiny-draft" });
  });

  it("reports the first differing token, not a later one", () => {
    const tokens = TOKENS.map((t, i) => (i === 40 || i === 90 ? `${t}!` : t));
    expect(() =>
      checkDraftCompatibility({ name: "t", vocab: vocab() }, { name: "d", vocab: vocab({ tokens }) }),
    ).toThrow(/token 40 differs \(target "▁w35", draft "▁w35!"\)/);
  });

  it("on synthetic GGUF files: a copy pairs, the 535-token model does not", async () => {
    const [target, copy, mismatch] = await Promise.all(
      ["target.gguf", "draft-n0.gguf", "vocab-mismatch.gguf"].map((f) =>
        readGgufVocab(path.join(family.dir, f)),
      ),
    );
    expect(() =>
      checkDraftCompatibility(
        { name: "target.gguf", vocab: target! },
        { name: "draft-n0.gguf", vocab: copy! },
      ),
    ).not.toThrow();
    expect(() =>
      checkDraftCompatibility(
        { name: "target.gguf", vocab: target! },
        { name: "vocab-mismatch.gguf", vocab: mismatch! },
      ),
    ).toThrow(
      /vocab-mismatch\.gguf cannot be paired with target target\.gguf: vocabulary sizes differ by 200 \(target 735, draft 535/,
    );
  });
});
