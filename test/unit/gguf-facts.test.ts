import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpecgridError } from "../../core/errors.js";
import { readGgufVocab, tokensSha256 } from "../../core/gguf/gguf-vocab.js";
import { readGgufFacts, readGgufModel } from "../../core/gguf/read-gguf-facts.js";
import { writeGguf } from "../../core/gguf/write-gguf.js";
import type { ModelFamily } from "../support/model-family.js";
import { getModelFamily } from "../support/model-family.js";

// The project's own synthetic family (written by its GGUF writer into the temp dir): the same shapes as the
// llama.cpp reference models, and nothing outside the repository is read.
let family: ModelFamily;
const familyFile = (file: string): string => path.join(family.dir, file);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "specgrid-gguf-facts-"));
  family = await getModelFamily();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readGgufFacts on the synthetic family", () => {
  it.each([
    // file, embedding, layers, heads, ff, vocab size, parameters (sum of tensor element counts)
    ["target.gguf", 128, 4, 4, 256, 735, 2 * 128 * 735 + 128 + 4 * (2 * 128 + 4 * 128 * 128 + 3 * 128 * 256)],
    [
      "draft-n0.02.gguf",
      128,
      4,
      4,
      256,
      735,
      2 * 128 * 735 + 128 + 4 * (2 * 128 + 4 * 128 * 128 + 3 * 128 * 256),
    ],
    [
      "vocab-mismatch.gguf",
      64,
      2,
      4,
      128,
      535,
      2 * 64 * 535 + 64 + 2 * (2 * 64 + 4 * 64 * 64 + 3 * 64 * 128),
    ],
  ])("%s", async (file, nEmbd, layers, heads, ff, vocabSize, params) => {
    const facts = await readGgufFacts(familyFile(file));
    expect(facts).toMatchObject({
      ggufVersion: 3,
      architecture: "llama",
      contextLength: 2048,
      embeddingLength: nEmbd,
      blockCount: layers,
      headCount: heads,
      headCountKv: heads,
      feedForwardLength: ff,
      keyLength: nEmbd / heads,
      valueLength: nEmbd / heads,
      parameterCount: params,
      tensorCount: 3 + 9 * layers,
      tensorTypes: { F32: 3 + 9 * layers },
      quantization: "F32",
      fileType: "F32",
      vocab: { model: "llama", size: vocabSize, bosId: 1, eosId: 2, addBos: true, addEos: false },
    });
    expect(facts.fileBytes).toBeGreaterThan(facts.tensorDataBytes);
    expect(facts.tensorDataBytes).toBeGreaterThanOrEqual(params * 4);
    expect(facts.vocab.firstTokens).toEqual([
      "<unk>",
      "<s>",
      "</s>",
      "<|im_start|>",
      "<|im_end|>",
      "<0x00>",
      "<0x01>",
      "<0x02>",
    ]);
  });

  it("fingerprints the token texts: equal for a copy, different for another vocabulary", async () => {
    const [target, copy, mismatch] = await Promise.all(
      ["target.gguf", "draft-n0.gguf", "vocab-mismatch.gguf"].map((f) => readGgufFacts(familyFile(f))),
    );
    expect(copy!.vocab.tokensSha256).toBe(target!.vocab.tokensSha256);
    expect(mismatch!.vocab.tokensSha256).not.toBe(target!.vocab.tokensSha256);
  });

  it("gives facts and token texts from one read, matching readGgufVocab", async () => {
    const file = familyFile("target.gguf");
    const model = await readGgufModel(file);
    const vocab = await readGgufVocab(file);
    expect(model.vocab.tokens).toHaveLength(735);
    expect(vocab.tokens).toEqual(model.vocab.tokens);
    expect(tokensSha256(vocab.tokens)).toBe(model.facts.vocab.tokensSha256);
    expect(model.facts.vocab).not.toHaveProperty("tokens");
  });
});

describe("tokensSha256", () => {
  it.each([
    [
      ["ab", "c"],
      ["a", "bc"],
    ],
    [["a", ""], ["a"]],
    [["▁x"], ["_x"]],
  ])("%j and %j differ", (a, b) => {
    expect(tokensSha256(a)).not.toBe(tokensSha256(b));
  });
});

describe("readGgufFacts errors", () => {
  it("names the file when it is not GGUF", async () => {
    const file = path.join(dir, "not-a-model.gguf");
    await writeFile(file, "hello, not a model\n".repeat(10));
    await expect(readGgufFacts(file)).rejects.toThrow(SpecgridError);
    await expect(readGgufFacts(file)).rejects.toThrow(/not-a-model\.gguf: not a readable GGUF file/);
  });

  it("names the missing key a valid GGUF lacks", async () => {
    const file = path.join(dir, "no-layers.gguf");
    await writeGguf(file, {
      metadata: [
        { key: "general.architecture", type: "string", value: "llama" },
        { key: "llama.embedding_length", type: "u32", value: 64 },
        { key: "llama.attention.head_count", type: "u32", value: 4 },
        { key: "llama.context_length", type: "u32", value: 512 },
      ],
      tensors: [],
    });
    await expect(readGgufFacts(file)).rejects.toThrow(/lacks llama\.block_count/);
  });
});
