import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gguf } from "@huggingface/gguf";
import { runCommand } from "@oclif/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelsInspectResult } from "../../cli/commands/models/inspect.js";
import type { ModelsPairResult } from "../../cli/commands/models/pair.js";
import type { ModelsSynthResult } from "../../cli/commands/models/synth.js";
import { IncompatibleModelsError } from "../../core/errors.js";
import { checkDraftCompatibility } from "../../core/gguf/check-pair.js";
import { fileSha256 } from "../../core/gguf/file-sha256.js";
import { readGgufModel } from "../../core/gguf/read-gguf-facts.js";
import { synthesizeFamily } from "../../core/gguf/synth-family.js";
import type { SynthFile } from "../../core/gguf/synth-family.js";

const NOISE = [0, 0.02, 0.2, 1];
let dir: string;
let family: SynthFile[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "specgrid-synth-"));
  family = await synthesizeFamily({ outDir: path.join(dir, "a"), noise: NOISE, seed: 11 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const byFile = (name: string): SynthFile => family.find((f) => f.file === name)!;

async function tensor(file: string, name: string): Promise<Float32Array> {
  const parsed = await gguf(file, { allowLocalFile: true });
  const info = parsed.tensorInfos.find((t) => t.name === name)!;
  expect(info.dtype).toBe(0); // F32
  const n = info.shape.reduce((a, d) => a * Number(d), 1);
  const bytes = await readFile(file);
  const start = Number(parsed.tensorDataOffset + info.offset);
  return Float32Array.from({ length: n }, (_, i) => bytes.readFloatLE(start + i * 4));
}

const std = (a: Float32Array): number => {
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  return Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length);
};

describe("synthesizeFamily", () => {
  it("writes the family's files with roles, noise levels, sizes and hashes", async () => {
    expect(family.map((f) => [f.file, f.role, f.noise])).toEqual([
      ["target.gguf", "target", undefined],
      ["draft-n0.gguf", "draft", 0],
      ["draft-n0.02.gguf", "draft", 0.02],
      ["draft-n0.2.gguf", "draft", 0.2],
      ["draft-n1.gguf", "draft", 1],
      ["draft-small.gguf", "draft-small", undefined],
      ["vocab-mismatch.gguf", "vocab-mismatch", undefined],
    ]);
    for (const f of family) {
      expect(f.path).toBe(path.join(dir, "a", f.file));
      expect(f.sha256).toBe(await fileSha256(f.path));
      expect(f.bytes).toBeLessThan(8 * 1024 * 1024);
    }
  });

  it("is deterministic for a seed, and another seed gives other weights", async () => {
    const again = await synthesizeFamily({ outDir: path.join(dir, "b"), noise: NOISE, seed: 11 });
    expect(again.map((f) => f.sha256)).toEqual(family.map((f) => f.sha256));
    const other = await synthesizeFamily({ outDir: path.join(dir, "c"), noise: [0.02], seed: 12 });
    expect(other.find((f) => f.role === "target")!.sha256).not.toBe(byFile("target.gguf").sha256);
    // a level's draft does not depend on which other levels were asked for
    const only = await synthesizeFamily({ outDir: path.join(dir, "d"), noise: [0.2], seed: 11 });
    expect(only.find((f) => f.noise === 0.2)!.sha256).toBe(byFile("draft-n0.2.gguf").sha256);
  });

  it("has the target facts the engine tests rely on", async () => {
    const { facts, vocab } = await readGgufModel(byFile("target.gguf").path);
    expect(facts).toMatchObject({
      architecture: "llama",
      contextLength: 2048,
      embeddingLength: 128,
      blockCount: 4,
      headCount: 4,
      headCountKv: 4,
      feedForwardLength: 256,
      quantization: "F32",
      vocab: { model: "llama", size: 735, bosId: 1, eosId: 2, addBos: true, addEos: false },
    });
    expect(vocab.tokens.slice(0, 6)).toEqual([
      "<unk>",
      "<s>",
      "</s>",
      "<|im_start|>",
      "<|im_end|>",
      "<0x00>",
    ]);
    expect(vocab.tokens[260]).toBe("<0xFF>");
    expect(vocab.tokens[261]).toBe("▁");
    expect(vocab.tokens.slice(335).every((t) => t.startsWith("▁") && t.length > 1)).toBe(true);
    expect(new Set(vocab.tokens).size).toBe(735);
    const parsed = await gguf(byFile("target.gguf").path, { allowLocalFile: true });
    expect(String((parsed.metadata as Record<string, unknown>)["tokenizer.chat_template"])).toContain(
      "<|im_start|>",
    );
  });

  it("draft-small is smaller, F16, and independent; vocab-mismatch has 535 tokens", async () => {
    const small = await readGgufModel(byFile("draft-small.gguf").path);
    expect(small.facts).toMatchObject({
      embeddingLength: 64,
      blockCount: 2,
      tensorTypes: { F32: 5, F16: 16 },
    });
    expect(small.facts.quantization).toBe("F16");
    const mismatch = await readGgufModel(byFile("vocab-mismatch.gguf").path);
    expect(mismatch.facts.vocab.size).toBe(535);
  });

  it.each([
    ["blk.0.attn_q.weight", 0.02],
    ["blk.3.ffn_down.weight", 0.2],
    ["token_embd.weight", 1],
  ])("adds noise of the level times each tensor's std (%s, %d)", async (name, level) => {
    const t = await tensor(byFile("target.gguf").path, name);
    const d = await tensor(byFile(`draft-n${level}.gguf`).path, name);
    const diff = d.map((x, i) => x - t[i]!);
    expect(std(diff) / std(t)).toBeGreaterThan(level * 0.95);
    expect(std(diff) / std(t)).toBeLessThan(level * 1.05);
  });

  it("keeps identical copies identical, norms at one, and special/byte lm-head rows at zero", async () => {
    const target = byFile("target.gguf").path;
    expect(await tensor(byFile("draft-n0.gguf").path, "output.weight")).toEqual(
      await tensor(target, "output.weight"),
    );
    const norm = await tensor(byFile("draft-n1.gguf").path, "blk.2.ffn_norm.weight");
    expect(norm.every((x) => x === 1)).toBe(true);
    const head = await tensor(byFile("draft-n1.gguf").path, "output.weight");
    expect(head.subarray(0, 261 * 128).every((x) => x === 0)).toBe(true);
    expect(head.subarray(261 * 128).some((x) => x !== 0)).toBe(true);
  });

  it("every draft pairs with the target; vocab-mismatch is refused", async () => {
    const target = await readGgufModel(byFile("target.gguf").path);
    for (const f of family.filter((x) => x.role === "draft" || x.role === "draft-small")) {
      const d = await readGgufModel(f.path);
      expect(() =>
        checkDraftCompatibility(
          { name: "target.gguf", vocab: target.vocab },
          { name: f.file, vocab: d.vocab },
        ),
      ).not.toThrow();
    }
    const bad = await readGgufModel(byFile("vocab-mismatch.gguf").path);
    expect(() =>
      checkDraftCompatibility(
        { name: "target.gguf", vocab: target.vocab },
        { name: "vocab-mismatch.gguf", vocab: bad.vocab },
      ),
    ).toThrow(IncompatibleModelsError);
  });

  it.each([
    [[-0.1], /noise levels must be >= 0/],
    [[0.2, 0.2], /noise levels repeat/],
  ])("rejects noise %j", async (noise, message) => {
    await expect(synthesizeFamily({ outDir: path.join(dir, "bad"), noise, seed: 1 })).rejects.toThrow(
      message,
    );
  });
});

describe("specgrid models synth / inspect", () => {
  it("synth --json lists each file with role and noise; inspect --json reports its facts and sha256", async () => {
    const out = path.join(dir, "cli");
    const synth = await runCommand<ModelsSynthResult>([
      "models",
      "synth",
      "--family",
      "tiny",
      "--out",
      out,
      "--noise",
      "0,0.5",
      "--seed",
      "11",
      "--json",
    ]);
    expect(synth.error).toBeUndefined();
    const result = synth.result!;
    expect(JSON.parse(synth.stdout)).toEqual(result);
    expect(result.seed).toBe(11);
    expect(result.family).toBe("tiny");
    expect(result.files.map((f) => [f.file, f.role, f.noise])).toEqual([
      ["target.gguf", "target", undefined],
      ["draft-n0.gguf", "draft", 0],
      ["draft-n0.5.gguf", "draft", 0.5],
      ["draft-small.gguf", "draft-small", undefined],
      ["vocab-mismatch.gguf", "vocab-mismatch", undefined],
    ]);
    // same seed through the command and the library: same target bytes
    expect(result.files[0]!.sha256).toBe(byFile("target.gguf").sha256);

    const inspect = await runCommand<ModelsInspectResult>([
      "models",
      "inspect",
      path.join(out, "target.gguf"),
      "--json",
    ]);
    expect(inspect.error).toBeUndefined();
    expect(JSON.parse(inspect.stdout)).toEqual(inspect.result);
    expect(inspect.result).toMatchObject({
      sha256: result.files[0]!.sha256,
      architecture: "llama",
      name: "specgrid-synth-target",
      context_length: 2048,
      block_count: 4,
      embedding_length: 128,
      head_count: 4,
      head_count_kv: 4,
      tensor_types: { F32: 39 },
      vocab: { model: "llama", size: 735, bos_id: 1, eos_id: 2, add_bos: true, add_eos: false },
      memory: { ctx: 2048, parallel: 1, kv_type: "f16", kv_cache_mib: 4 },
    });
  });

  it("pair --json accepts a draft and reports the pair's memory against the target alone", async () => {
    const { result, error } = await runCommand<ModelsPairResult>([
      "models",
      "pair",
      byFile("target.gguf").path,
      byFile("draft-small.gguf").path,
      "--ctx",
      "1024",
      "--json",
    ]);
    expect(error).toBeUndefined();
    const m = result!.memory;
    expect(result!.compatible).toBe(true);
    expect(m.ctx).toBe(1024);
    expect(m.target.kv_cache_mib).toBe(2); // 4 layers × 1024 × 256 × 2 bytes
    expect(m.draft.kv_cache_mib).toBe(0.5); // 2 layers × 1024 × 128 × 2 bytes
    expect(m.with_draft_mib).toBeCloseTo(m.target_alone_mib + m.overhead_mib, 1);
    expect(m.overhead_mib).toBeCloseTo(m.draft.total_mib, 1);
  });

  it.each([
    [
      ["models", "synth", "--family", "tiny", "--out", "x", "--noise", "0,abc"],
      /--noise: "abc" is not a level >= 0/,
    ],
    [["models", "synth", "--family", "tiny", "--out", "x", "--noise", "0.1,0.1"], /levels repeat/],
    [["models", "inspect", "/definitely/missing.gguf"], /missing\.gguf: not a readable GGUF file/],
    [
      ["models", "pair", "TARGET", "MISMATCH"],
      /draft vocab-mismatch\.gguf cannot be paired with target target\.gguf: vocabulary sizes differ by 200/,
    ],
  ])("%j fails with exit 2 and says what to fix", async (argv, message) => {
    const real = { TARGET: byFile("target.gguf").path, MISMATCH: byFile("vocab-mismatch.gguf").path };
    const { error } = await runCommand(argv.map((a) => real[a as keyof typeof real] ?? a));
    expect(error?.message).toMatch(message);
    expect(error?.oclif?.exit).toBe(2);
  });
});
