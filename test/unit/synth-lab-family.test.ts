import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gguf } from "@huggingface/gguf";
import { runCommand } from "@oclif/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelsSynthResult } from "../../cli/commands/models/synth.js";
import { IncompatibleModelsError } from "../../core/errors.js";
import { checkDraftCompatibility } from "../../core/gguf/check-pair.js";
import { fileSha256 } from "../../core/gguf/file-sha256.js";
import { readGgufModel } from "../../core/gguf/read-gguf-facts.js";
import { float16Value } from "../../core/gguf/float16-bits.js";
import { LAB_SHAPE, labTargetFfn, synthesizeLabFamily } from "../../core/gguf/synth-lab-family.js";
import type { LabFamilyOptions, LabFile, LabShape } from "../../core/gguf/synth-lab-family.js";

// A small shape so the library tests write a few MB; the CLI test below uses the demo's shape.
const SHAPE: LabShape = {
  embeddingLength: 64,
  headCount: 4,
  blocks: 8,
  coreBlocks: 2,
  activeFfn: 64,
  contextLength: 512,
};
const OPTS = { shape: SHAPE, seed: 5, targetMib: 3, draftDepths: [6, 4, 2] };
const MIB = 1024 * 1024;
const VOCAB = 735;

let dir: string;
let family: LabFile[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "specgrid-lab-"));
  family = await synthesizeLabFamily({ ...OPTS, outDir: path.join(dir, "a") });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const byFile = (files: LabFile[], name: string): LabFile => {
  const f = files.find((x) => x.file === name);
  if (!f) throw new Error(`no ${name} in ${files.map((x) => x.file).join(", ")}`);
  return f;
};

interface RawTensor {
  shape: number[];
  dtype: number;
  bytes: Buffer;
}

/** Every tensor's shape, ggml type and raw bytes, straight from the file. */
async function tensors(file: string): Promise<Map<string, RawTensor>> {
  const parsed = await gguf(file, { allowLocalFile: true });
  const handle = await open(file, "r");
  try {
    const out = new Map<string, RawTensor>();
    for (const t of parsed.tensorInfos) {
      const shape = t.shape.map(Number);
      const n = shape.reduce((a, b) => a * b, 1) * (Number(t.dtype) === 0 ? 4 : 2);
      const bytes = Buffer.alloc(n);
      await handle.read(bytes, 0, n, Number(parsed.tensorDataOffset + t.offset));
      out.set(t.name, { shape, dtype: t.dtype, bytes });
    }
    return out;
  } finally {
    await handle.close();
  }
}

const f32s = (b: Buffer): number[] => Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(i * 4));

describe("synthesizeLabFamily", () => {
  it("writes the target, one early-exit draft per depth, the control and the mismatch model", async () => {
    expect(family.map((f) => [f.file, f.role, f.depth, f.blocks])).toEqual([
      ["target.gguf", "target", undefined, 8],
      ["draft-d6.gguf", "draft", 6, 6],
      ["draft-d4.gguf", "draft", 4, 4],
      ["draft-d2.gguf", "draft", 2, 2],
      ["draft-control.gguf", "control", undefined, 2],
      ["vocab-mismatch.gguf", "vocab-mismatch", undefined, 2],
    ]);
    for (const f of family) {
      expect(f.path).toBe(path.join(dir, "a", f.file));
      expect(f.sha256).toBe(await fileSha256(f.path));
    }
  });

  it("sizes the target to targetMib with F16 matrices, and the drafts shrink with depth", async () => {
    const target = byFile(family, "target.gguf");
    const ffn = labTargetFfn(SHAPE, VOCAB, 3);
    expect(target.feedForwardLength).toBe(ffn);
    // the FFN width moves in steps of 64 units: one step below the asked size at most, plus the header
    const step = 64 * SHAPE.blocks * 3 * SHAPE.embeddingLength * 2;
    expect(target.bytes).toBeGreaterThan(3 * MIB - step);
    expect(target.bytes).toBeLessThan(3 * MIB + 64 * 1024);
    const { facts } = await readGgufModel(target.path);
    expect(facts).toMatchObject({
      architecture: "llama",
      blockCount: 8,
      embeddingLength: 64,
      feedForwardLength: ffn,
      quantization: "F16",
      tensorTypes: { F16: 2 + 7 * 8, F32: 1 + 2 * 8 },
      vocab: { model: "llama", size: VOCAB },
    });
    const sizes = ["draft-d6.gguf", "draft-d4.gguf", "draft-d2.gguf"].map((n) => byFile(family, n).bytes);
    expect(sizes[0]).toBeLessThan(target.bytes / 4);
    expect(sizes[1]).toBeLessThan(sizes[0]!);
    expect(sizes[2]).toBeLessThan(sizes[1]!);
    expect(byFile(family, "draft-control.gguf").bytes).toBe(sizes[2]);
  });

  it("is deterministic: the same seed gives the same bytes, other seeds and knobs only what they change", async () => {
    const again = await synthesizeLabFamily({ ...OPTS, outDir: path.join(dir, "b") });
    expect(again.map((f) => f.sha256)).toEqual(family.map((f) => f.sha256));
    const other = await synthesizeLabFamily({ ...OPTS, seed: 6, outDir: path.join(dir, "c") });
    for (const [i, f] of other.entries()) expect(f.sha256).not.toBe(family[i]!.sha256);
    // another size pads the target differently but leaves every draft as it was; a depth list does not
    // change the drafts it shares with another
    const bigger = await synthesizeLabFamily({
      ...OPTS,
      targetMib: 4,
      draftDepths: [4],
      outDir: path.join(dir, "d"),
    });
    expect(byFile(bigger, "target.gguf").sha256).not.toBe(byFile(family, "target.gguf").sha256);
    expect(byFile(bigger, "target.gguf").bytes).toBeGreaterThan(byFile(family, "target.gguf").bytes);
    expect(byFile(bigger, "draft-d4.gguf").sha256).toBe(byFile(family, "draft-d4.gguf").sha256);
    expect(byFile(bigger, "draft-control.gguf").sha256).toBe(byFile(family, "draft-control.gguf").sha256);
  });

  it("drafts are sub-networks: every draft tensor is the target's, with its FFN padding cut off", async () => {
    const target = await tensors(byFile(family, "target.gguf").path);
    const ffn = byFile(family, "target.gguf").feedForwardLength;
    const f = SHAPE.activeFfn;
    const d = SHAPE.embeddingLength;
    for (const name of ["draft-d6.gguf", "draft-d4.gguf", "draft-d2.gguf"]) {
      const draft = await tensors(byFile(family, name).path);
      const depth = byFile(family, name).depth!;
      expect([...draft.keys()].filter((k) => k.startsWith("blk.")).length).toBe(9 * depth);
      for (const [tensorName, t] of draft) {
        const full = target.get(tensorName)!;
        expect(full, tensorName).toBeDefined();
        expect(t.dtype, tensorName).toBe(full.dtype);
        if (tensorName === "output_norm.weight") {
          // the one tensor a draft does not share: its confidence
          expect(new Set(f32s(t.bytes))).toEqual(new Set([0.5]));
          expect(new Set(f32s(full.bytes))).toEqual(new Set([1]));
        } else if (/ffn_(gate|up)/.test(tensorName)) {
          expect(t.shape, tensorName).toEqual([d, f]);
          expect(t.bytes.equals(full.bytes.subarray(0, t.bytes.length)), tensorName).toBe(true);
          expect(
            full.bytes.subarray(t.bytes.length).every((b) => b === 0),
            tensorName,
          ).toBe(true);
        } else if (tensorName.includes("ffn_down")) {
          expect(t.shape, tensorName).toEqual([f, d]);
          expect(full.shape, tensorName).toEqual([ffn, d]);
          for (let r = 0; r < d; r++) {
            const row = full.bytes.subarray(r * ffn * 2, (r + 1) * ffn * 2);
            expect(row.subarray(0, f * 2).equals(t.bytes.subarray(r * f * 2, (r + 1) * f * 2))).toBe(true);
            expect(row.subarray(f * 2).every((b) => b === 0)).toBe(true);
          }
        } else {
          expect(t.bytes.equals(full.bytes), tensorName).toBe(true);
        }
      }
    }
  });

  it("scales the refining blocks' outputs by eps_b = refineScale * refineDecay^(b - core)", async () => {
    const target = await tensors(byFile(family, "target.gguf").path);
    const rms = (b: Buffer): number => {
      let s = 0;
      for (let i = 0; i < b.length; i += 2) s += float16Value(b.readUInt16LE(i)) ** 2;
      return Math.sqrt(s / (b.length / 2));
    };
    const q0 = rms(target.get("blk.0.attn_q.weight")!.bytes);
    const o = (b: number): number => rms(target.get(`blk.${b}.attn_output.weight`)!.bytes) / q0;
    expect(o(0)).toBeCloseTo(1, 1);
    expect(o(1)).toBeCloseTo(1, 1);
    for (const b of [2, 3, 7]) expect(o(b) / (0.6 * 0.8 ** (b - 2))).toBeCloseTo(1, 1);
    // queries are not scaled in refining blocks: the block reads the stream at full strength
    expect(rms(target.get("blk.7.attn_q.weight")!.bytes) / q0).toBeCloseTo(1, 1);
  });

  it("the control shares no weights with the target; every draft pairs, vocab-mismatch is refused", async () => {
    const target = await readGgufModel(byFile(family, "target.gguf").path);
    const tt = await tensors(byFile(family, "target.gguf").path);
    const control = await tensors(byFile(family, "draft-control.gguf").path);
    for (const [name, t] of control) {
      if (name.endsWith("norm.weight")) continue;
      expect(t.bytes.equals(tt.get(name)!.bytes), name).toBe(false);
    }
    for (const f of family.filter((x) => x.role === "draft" || x.role === "control")) {
      const d = await readGgufModel(f.path);
      expect(() =>
        checkDraftCompatibility(
          { name: "target.gguf", vocab: target.vocab },
          { name: f.file, vocab: d.vocab },
        ),
      ).not.toThrow();
    }
    const bad = await readGgufModel(byFile(family, "vocab-mismatch.gguf").path);
    expect(bad.facts.vocab.size).toBe(535);
    expect(() =>
      checkDraftCompatibility(
        { name: "target.gguf", vocab: target.vocab },
        { name: "vocab-mismatch.gguf", vocab: bad.vocab },
      ),
    ).toThrow(IncompatibleModelsError);
  });

  it.each([
    [{ draftDepths: [1] }, /draft depth 1 is outside 2\.\.8/],
    [{ draftDepths: [4, 4] }, /draft depths repeat/],
    [{ targetMib: 0.5 }, /targetMib 0\.5 is below this shape's smallest target \(\d+\.\d MiB/],
    [{ draftConfidence: 0 }, /draftConfidence must be > 0/],
    [{ refineDecay: -1 }, /refineDecay must be > 0/],
    [{ shape: { ...SHAPE, coreBlocks: 9 } }, /coreBlocks must not exceed blocks/],
  ] as [Partial<LabFamilyOptions>, RegExp][])("rejects %j", async (bad, message) => {
    await expect(synthesizeLabFamily({ ...OPTS, ...bad, outDir: path.join(dir, "bad") })).rejects.toThrow(
      message,
    );
  });
});

describe("specgrid models synth --family lab", () => {
  it("writes the demo's shape at the asked size and lists each file with role, depth, size and hash", async () => {
    const out = path.join(dir, "cli");
    const { result, error, stdout } = await runCommand<ModelsSynthResult>([
      "models",
      "synth",
      "--out",
      out,
      "--target-mib",
      "12",
      "--depths",
      "10,4",
      "--json",
    ]);
    expect(error).toBeUndefined();
    expect(JSON.parse(stdout)).toEqual(result);
    expect(result!.family).toBe("lab");
    expect(result!.lab).toMatchObject({ target_mib: 12, draft_depths: [10, 4], draft_confidence: 0.5 });
    expect(result!.files.map((f) => [f.file, f.role, f.depth])).toEqual([
      ["target.gguf", "target", undefined],
      ["draft-d10.gguf", "draft", 10],
      ["draft-d4.gguf", "draft", 4],
      ["draft-control.gguf", "control", undefined],
      ["vocab-mismatch.gguf", "vocab-mismatch", undefined],
    ]);
    const target = result!.files[0]!;
    expect(target.bytes).toBeLessThanOrEqual(12 * MIB);
    expect(target.bytes).toBeGreaterThan(11 * MIB);
    const { facts } = await readGgufModel(target.path);
    expect(facts).toMatchObject({
      blockCount: LAB_SHAPE.blocks,
      embeddingLength: LAB_SHAPE.embeddingLength,
      feedForwardLength: result!.lab!.target_ffn,
    });
    // the library with the same knobs writes the same bytes
    const lib = await synthesizeLabFamily({
      outDir: path.join(dir, "cli-lib"),
      seed: 1,
      targetMib: 12,
      draftDepths: [4],
    });
    expect(byFile(lib, "target.gguf").sha256).toBe(target.sha256);
  });

  it.each([
    [["--depths", "4,x"], /--depths: "x" is not a whole number/],
    [["--depths", "30"], /--depths: draft depth 30 is outside 4\.\.24/],
    [["--target-mib", "2"], /--target-mib 2 is below this shape's smallest target/],
    [["--noise", "0.1"], /--noise only applies to --family tiny/],
    [["--family", "tiny", "--depths", "4"], /--depths only apply to --family lab/],
    [["--confidence", "soft"], /--confidence: "soft" is not a number/],
  ])("%j fails with exit 2 and names the flag", async (argv, message) => {
    const { error } = await runCommand(["models", "synth", "--out", path.join(dir, "bad-cli"), ...argv]);
    expect(error?.message).toMatch(message);
    expect(error?.oclif?.exit).toBe(2);
  });
});
