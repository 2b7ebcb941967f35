import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { GGUFValueType, gguf } from "@huggingface/gguf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float16Bits, float16Value } from "../../core/gguf/float16-bits.js";
import { encodeGguf, writeGguf } from "../../core/gguf/write-gguf.js";
import type { GgufDocument, GgufMetadataEntry } from "../../core/gguf/write-gguf.js";
import { fileSha256 } from "../../core/gguf/file-sha256.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "specgrid-gguf-writer-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const METADATA: GgufMetadataEntry[] = [
  { key: "t.u8", type: "u8", value: 250 },
  { key: "t.i8", type: "i8", value: -100 },
  { key: "t.u16", type: "u16", value: 65000 },
  { key: "t.i16", type: "i16", value: -30000 },
  { key: "t.u32", type: "u32", value: 4_000_000_000 },
  { key: "t.i32", type: "i32", value: -2_000_000_000 },
  { key: "t.u64", type: "u64", value: 2n ** 40n + 3n },
  { key: "t.i64", type: "i64", value: -(2n ** 40n) },
  { key: "t.f32", type: "f32", value: 0.5 },
  { key: "t.f64", type: "f64", value: Math.PI },
  { key: "t.bool", type: "bool", value: true },
  { key: "t.string", type: "string", value: "▁héllo\n{{ chat }}" },
  { key: "t.strings", type: "array", itemType: "string", value: ["<unk>", "▁a", ""] },
  { key: "t.floats", type: "array", itemType: "f32", value: [0, -1000, 1.5] },
  { key: "t.ints", type: "array", itemType: "i32", value: [1, 3, 6] },
  { key: "t.empty", type: "array", itemType: "u32", value: [] },
];

// Read-back types as @huggingface/gguf reports them, per written type.
const EXPECTED_TYPES: Record<string, [GGUFValueType, GGUFValueType?]> = {
  "t.u8": [GGUFValueType.UINT8],
  "t.i8": [GGUFValueType.INT8],
  "t.u16": [GGUFValueType.UINT16],
  "t.i16": [GGUFValueType.INT16],
  "t.u32": [GGUFValueType.UINT32],
  "t.i32": [GGUFValueType.INT32],
  "t.u64": [GGUFValueType.UINT64],
  "t.i64": [GGUFValueType.INT64],
  "t.f32": [GGUFValueType.FLOAT32],
  "t.f64": [GGUFValueType.FLOAT64],
  "t.bool": [GGUFValueType.BOOL],
  "t.string": [GGUFValueType.STRING],
  "t.strings": [GGUFValueType.ARRAY, GGUFValueType.STRING],
  "t.floats": [GGUFValueType.ARRAY, GGUFValueType.FLOAT32],
  "t.ints": [GGUFValueType.ARRAY, GGUFValueType.INT32],
};

const f32Data = Float32Array.from({ length: 3 * 5 }, (_, i) => (i - 7) / 3);
const f16Data = Float32Array.from([1, -2, 0.5, 65504, 1e-7, 0.1, 3]);
const oddData = Float32Array.from([42]);

const DOC: GgufDocument = {
  metadata: METADATA,
  tensors: [
    { name: "a.f32", shape: [5, 3], dtype: "F32", data: f32Data },
    { name: "b.f16", shape: [7], dtype: "F16", data: f16Data },
    { name: "c.odd", shape: [1, 1], dtype: "F32", data: oddData },
  ],
};

describe("writeGguf", () => {
  it("round-trips metadata of every type, tensor infos and data through @huggingface/gguf", async () => {
    const file = path.join(dir, "roundtrip.gguf");
    const written = await writeGguf(file, DOC);
    expect(written.sha256).toBe(await fileSha256(file));

    const parsed = await gguf(file, { allowLocalFile: true, typedMetadata: true });
    const md = parsed.typedMetadata;
    expect(md.version.value).toBe(3);
    expect(md.tensor_count.value).toBe(3n);
    for (const entry of METADATA) {
      const got = md[entry.key];
      expect(got, entry.key).toBeDefined();
      const expected =
        entry.type === "array"
          ? entry.value
          : entry.type === "f32"
            ? Math.fround(entry.value as number)
            : entry.value;
      expect(got!.value, entry.key).toEqual(expected);
      const types = EXPECTED_TYPES[entry.key];
      if (types) {
        expect(got!.type, entry.key).toBe(types[0]);
        if (types[1] !== undefined) expect(got!.subType, entry.key).toBe(types[1]);
      }
    }

    expect(parsed.tensorInfos.map((t) => [t.name, t.shape.map(Number), t.dtype])).toEqual([
      ["a.f32", [5, 3], 0],
      ["b.f16", [7], 1],
      ["c.odd", [1, 1], 0],
    ]);
    const dataStart = Number(parsed.tensorDataOffset);
    expect(dataStart % 32).toBe(0);
    for (const t of parsed.tensorInfos) expect(Number(t.offset) % 32, t.name).toBe(0);

    const bytes = await readFile(file);
    const at = (name: string): number =>
      dataStart + Number(parsed.tensorInfos.find((t) => t.name === name)!.offset);
    const f32Back = Array.from({ length: f32Data.length }, (_, i) => bytes.readFloatLE(at("a.f32") + i * 4));
    expect(f32Back).toEqual(Array.from(f32Data));
    const f16Back = Array.from({ length: f16Data.length }, (_, i) =>
      float16Value(bytes.readUInt16LE(at("b.f16") + i * 2)),
    );
    f16Data.forEach((v, i) => expect(f16Back[i]).toBeCloseTo(v, v > 1000 ? 0 : 3));
    expect(bytes.readFloatLE(at("c.odd"))).toBe(42);
    expect(written.bytes).toBe(bytes.length);
  });

  it("writes general.alignment and honours it when not the default", async () => {
    const file = path.join(dir, "align64.gguf");
    await writeGguf(file, { ...DOC, alignment: 64 });
    const parsed = await gguf(file, { allowLocalFile: true });
    expect((parsed.metadata as Record<string, unknown>)["general.alignment"]).toBe(64);
    expect(Number(parsed.tensorDataOffset) % 64).toBe(0);
    for (const t of parsed.tensorInfos) expect(Number(t.offset) % 64).toBe(0);
  });

  it.each([
    ["u8 out of range", { metadata: [{ key: "k", type: "u8", value: 256 }], tensors: [] }, /does not fit u8/],
    [
      "u32 not an integer",
      { metadata: [{ key: "k", type: "u32", value: 1.5 }], tensors: [] },
      /does not fit u32/,
    ],
    [
      "string given a number",
      { metadata: [{ key: "k", type: "string", value: 1 }], tensors: [] },
      /string expected/,
    ],
    [
      "bool given a string",
      { metadata: [{ key: "k", type: "bool", value: "yes" }], tensors: [] },
      /boolean expected/,
    ],
    [
      "duplicate key",
      {
        metadata: [
          { key: "k", type: "u8", value: 1 },
          { key: "k", type: "u8", value: 2 },
        ],
        tensors: [],
      },
      /duplicate metadata key k/,
    ],
    [
      "shape does not match data",
      { metadata: [], tensors: [{ name: "t", shape: [2, 2], dtype: "F32", data: new Float32Array(3) }] },
      /does not match 3 values/,
    ],
    ["alignment not a multiple of 8", { metadata: [], tensors: [], alignment: 12 }, /alignment/],
  ] as [string, GgufDocument, RegExp][])("rejects %s", (_name, doc, message) => {
    expect(() => encodeGguf(doc)).toThrow(message);
  });
});

describe("writeGguf with streamed tensors", () => {
  it("writes pieces and zero runs exactly as the same values given at once, and reports progress", async () => {
    const values = Float32Array.from({ length: 4 * 6 }, (_, i) => (i % 6 < 2 ? i / 7 : 0));
    const whole: GgufDocument = {
      metadata: [],
      tensors: [{ name: "w", shape: [6, 4], dtype: "F16", data: values }],
    };
    // each row of 6: two values, then four zeros
    const rows = (): Iterable<Float32Array | { zeros: number }> =>
      [0, 1, 2, 3].flatMap((r) => [values.subarray(r * 6, r * 6 + 2), { zeros: 4 }]);
    const streamed: GgufDocument = { metadata: [], tensors: [{ ...whole.tensors[0]!, data: rows }] };
    const progress: [number, number][] = [];
    const a = await writeGguf(path.join(dir, "whole.gguf"), whole);
    const b = await writeGguf(path.join(dir, "streamed.gguf"), streamed, {
      onProgress: (w, t) => progress.push([w, t]),
    });
    expect(b.sha256).toBe(a.sha256);
    expect(progress).toEqual([[b.bytes, b.bytes]]);
  });

  it.each([
    ["too few", () => [new Float32Array(3)], /needs 4 values, its pieces gave 3/],
    ["too many", () => [new Float32Array(2), { zeros: 3 }], /needs 4 values, its pieces gave more than 4/],
  ] as [string, () => Iterable<Float32Array | { zeros: number }>, RegExp][])(
    "refuses pieces that give %s values and leaves no file behind",
    async (_name, data, message) => {
      const file = path.join(dir, "bad-pieces.gguf");
      await expect(
        writeGguf(file, { metadata: [], tensors: [{ name: "t", shape: [2, 2], dtype: "F32", data }] }),
      ).rejects.toThrow(message);
      await expect(readFile(file)).rejects.toThrow(/ENOENT/);
    },
  );
});

describe("float16Bits", () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up past the largest half: infinity
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -26, 0x0000], // below half the smallest subnormal: zero
    [1 + 2 ** -11, 0x3c00], // exact tie rounds to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // tie rounds to even (up)
  ])("%d -> 0x%s", (value, bits) => {
    expect(float16Bits(value)).toBe(bits);
  });

  it("keeps NaN a NaN and inverts exactly on every finite half", () => {
    expect(Number.isNaN(float16Value(float16Bits(NaN)))).toBe(true);
    const mismatches: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) !== 0x7c00 && float16Bits(float16Value(bits)) !== bits) mismatches.push(bits);
    }
    expect(mismatches).toEqual([]);
  });
});
