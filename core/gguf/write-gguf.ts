// A small GGUF v3 writer: enough of the format for the synthetic model families (typed metadata including
// arrays, F32/F16 tensors). Layout: header, metadata KVs, tensor infos, padding to the alignment, then each
// tensor's data at an aligned offset relative to the start of the data section. Little-endian throughout.
// Tensor data may be streamed in pieces (values or runs of zeros), so a model of hundreds of MB is written
// without ever holding it in memory.
import { createHash } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { float16Bits } from "./float16-bits.js";

export type GgufValueType =
  "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "u64" | "i64" | "f32" | "f64" | "bool" | "string";

export type GgufScalar = number | bigint | boolean | string;

export type GgufMetadataEntry =
  | { key: string; type: GgufValueType; value: GgufScalar }
  | { key: string; type: "array"; itemType: GgufValueType; value: readonly GgufScalar[] };

export type GgufTensorDtype = "F32" | "F16";

/** A run of a streamed tensor's values: values, or `zeros` values equal to 0 (written without converting). */
export type GgufTensorPiece = Float32Array | { zeros: number };

export interface GgufTensorInput {
  name: string;
  /** ggml order: shape[0] is the contiguous (row) dimension. */
  shape: readonly number[];
  dtype: GgufTensorDtype;
  /**
   * Values in ggml order, converted to `dtype` when written: all at once, or pieces produced while the file
   * is written (their lengths must add up to the shape's element count).
   */
  data: Float32Array | (() => Iterable<GgufTensorPiece>);
}

export interface GgufDocument {
  metadata: readonly GgufMetadataEntry[];
  tensors: readonly GgufTensorInput[];
  /**
   * Tensor data alignment in bytes; written as `general.alignment` when not the default.
   * @default 32
   */
  alignment?: number;
}

export interface WrittenGguf {
  bytes: number;
  sha256: string;
}

export interface WriteGgufOptions {
  /** Called after each tensor is written, with the bytes written so far and the file's final size. */
  onProgress?: (writtenBytes: number, totalBytes: number) => void;
}

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const GGUF_VERSION = 3;
const DEFAULT_ALIGNMENT = 32;

const VALUE_TYPE_IDS: Record<GgufValueType | "array", number> = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
};

const GGML_TYPE_IDS: Record<GgufTensorDtype, number> = { F32: 0, F16: 1 };
const BYTES_PER_ELEMENT: Record<GgufTensorDtype, number> = { F32: 4, F16: 2 };

const INT_RANGES: Partial<Record<GgufValueType, [number, number]>> = {
  u8: [0, 0xff],
  i8: [-0x80, 0x7f],
  u16: [0, 0xffff],
  i16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff],
  i32: [-0x80000000, 0x7fffffff],
};

/** Growable little-endian byte buffer for the header part of the file. */
class HeaderBytes {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }

  u64(v: number | bigint): void {
    this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }

  string(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.raw(bytes);
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  value(type: GgufValueType, v: GgufScalar, key: string): void {
    const at = this.length;
    if (type === "string") {
      if (typeof v !== "string") throw new TypeError(`${key}: string expected, got ${typeof v}`);
      this.string(v);
      return;
    }
    if (type === "bool") {
      if (typeof v !== "boolean") throw new TypeError(`${key}: boolean expected, got ${typeof v}`);
      this.reserve(1);
      this.buf.writeUInt8(v ? 1 : 0, at);
      this.length += 1;
      return;
    }
    if (type === "u64" || type === "i64") {
      if (typeof v !== "number" && typeof v !== "bigint") throw new TypeError(`${key}: integer expected`);
      this.reserve(8);
      if (type === "u64") this.buf.writeBigUInt64LE(BigInt(v), at);
      else this.buf.writeBigInt64LE(BigInt(v), at);
      this.length += 8;
      return;
    }
    if (typeof v !== "number") throw new TypeError(`${key}: number expected for ${type}, got ${typeof v}`);
    const range = INT_RANGES[type];
    if (range && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
      throw new RangeError(`${key}: ${v} does not fit ${type}`);
    }
    const size = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, f64: 8 }[type];
    this.reserve(size);
    if (type === "u8") this.buf.writeUInt8(v, at);
    else if (type === "i8") this.buf.writeInt8(v, at);
    else if (type === "u16") this.buf.writeUInt16LE(v, at);
    else if (type === "i16") this.buf.writeInt16LE(v, at);
    else if (type === "u32") this.buf.writeUInt32LE(v, at);
    else if (type === "i32") this.buf.writeInt32LE(v, at);
    else if (type === "f32") this.buf.writeFloatLE(v, at);
    else this.buf.writeDoubleLE(v, at);
    this.length += size;
  }

  pad(alignment: number): void {
    const padded = alignUp(this.length, alignment);
    this.reserve(padded - this.length);
    this.buf.fill(0, this.length, padded);
    this.length = padded;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** Bytes of one piece of values in `dtype`, little-endian (the layout of this host's typed arrays on x86/ARM). */
function encodeValues(values: Float32Array, dtype: GgufTensorDtype): Uint8Array {
  if (dtype === "F32") return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]!);
  return new Uint8Array(out.buffer);
}

const ZERO_CHUNK = new Uint8Array(1 << 20);
const WRITE_BUFFER_BYTES = 4 << 20;

/** The tensor's bytes in chunks; throws when the pieces do not add up to the shape. */
function* tensorChunks(t: GgufTensorInput, elements: number): Generator<Uint8Array> {
  const bytesPerElement = BYTES_PER_ELEMENT[t.dtype];
  let produced = 0;
  for (const piece of t.data instanceof Float32Array ? [t.data] : t.data()) {
    const n = piece instanceof Float32Array ? piece.length : piece.zeros;
    produced += n;
    if (produced > elements) break;
    if (piece instanceof Float32Array) {
      yield encodeValues(piece, t.dtype);
      continue;
    }
    for (let left = n * bytesPerElement; left > 0; left -= ZERO_CHUNK.length) {
      yield ZERO_CHUNK.subarray(0, Math.min(left, ZERO_CHUNK.length));
    }
  }
  if (produced !== elements) {
    const gave = produced > elements ? `more than ${elements}` : String(produced);
    throw new RangeError(
      `tensor ${t.name}: shape [${t.shape.join(", ")}] needs ${elements} values, its pieces gave ${gave}`,
    );
  }
}

interface Layout {
  head: Buffer;
  tensors: { input: GgufTensorInput; elements: number; bytes: number; pad: number }[];
  totalBytes: number;
}

function layOut(doc: GgufDocument): Layout {
  const alignment = doc.alignment ?? DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
    throw new RangeError(`alignment must be a positive multiple of 8, got ${alignment}`);
  }
  const metadata: GgufMetadataEntry[] = [...doc.metadata];
  if (alignment !== DEFAULT_ALIGNMENT)
    metadata.push({ key: "general.alignment", type: "u32", value: alignment });
  const keys = new Set<string>();
  for (const m of metadata) {
    if (keys.has(m.key)) throw new Error(`duplicate metadata key ${m.key}`);
    keys.add(m.key);
  }

  const head = new HeaderBytes();
  head.u32(GGUF_MAGIC);
  head.u32(GGUF_VERSION);
  head.u64(doc.tensors.length);
  head.u64(metadata.length);
  for (const m of metadata) {
    head.string(m.key);
    head.u32(VALUE_TYPE_IDS[m.type]);
    if (m.type === "array") {
      head.u32(VALUE_TYPE_IDS[m.itemType]);
      head.u64(m.value.length);
      for (const v of m.value) head.value(m.itemType, v, m.key);
    } else {
      head.value(m.type, m.value, m.key);
    }
  }

  let offset = 0;
  const names = new Set<string>();
  const tensors: Layout["tensors"] = [];
  for (const t of doc.tensors) {
    if (names.has(t.name)) throw new Error(`duplicate tensor name ${t.name}`);
    names.add(t.name);
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (t.shape.length === 0 || (t.data instanceof Float32Array && elements !== t.data.length)) {
      const got = t.data instanceof Float32Array ? `${t.data.length} values` : "its pieces";
      throw new RangeError(`tensor ${t.name}: shape [${t.shape.join(", ")}] does not match ${got}`);
    }
    head.string(t.name);
    head.u32(t.shape.length);
    for (const d of t.shape) head.u64(d);
    head.u32(GGML_TYPE_IDS[t.dtype]);
    head.u64(offset);
    const bytes = elements * BYTES_PER_ELEMENT[t.dtype];
    const pad = alignUp(bytes, alignment) - bytes;
    tensors.push({ input: t, elements, bytes, pad });
    offset += bytes + pad;
  }
  head.pad(alignment);
  const headBytes = Buffer.from(head.bytes());
  return { head: headBytes, tensors, totalBytes: headBytes.length + offset };
}

function* fileChunks(layout: Layout, onTensor?: (writtenBytes: number) => void): Generator<Uint8Array> {
  yield layout.head;
  let written = layout.head.length;
  for (const t of layout.tensors) {
    yield* tensorChunks(t.input, t.elements);
    if (t.pad > 0) yield ZERO_CHUNK.subarray(0, t.pad);
    written += t.bytes + t.pad;
    onTensor?.(written);
  }
}

/** Encodes a GGUF v3 file in memory as a list of byte chunks (header, then each tensor and its padding). */
export function encodeGguf(doc: GgufDocument): Buffer[] {
  return [...fileChunks(layOut(doc))].map((c) => Buffer.from(c));
}

/**
 * Writes a GGUF v3 file, streaming tensor data piece by piece, and returns its size and sha256 (hashed while
 * writing, no second read). A file whose tensors fail to encode is removed rather than left half-written.
 */
export async function writeGguf(
  file: string,
  doc: GgufDocument,
  opts: WriteGgufOptions = {},
): Promise<WrittenGguf> {
  const layout = layOut(doc);
  const hash = createHash("sha256");
  let bytes = 0;
  const handle = await open(file, "w");
  try {
    // Small pieces (a padded FFN's rows) are gathered into one buffer per write.
    const pending = Buffer.alloc(WRITE_BUFFER_BYTES);
    let filled = 0;
    const flush = async (): Promise<void> => {
      if (filled === 0) return;
      const view = pending.subarray(0, filled);
      await handle.write(view);
      hash.update(view);
      bytes += filled;
      filled = 0;
    };
    let lastTensorEnd = 0;
    const report = opts.onProgress;
    for (const chunk of fileChunks(layout, (w) => (lastTensorEnd = w))) {
      if (filled + chunk.length > pending.length) await flush();
      if (chunk.length >= pending.length) {
        await handle.write(chunk);
        hash.update(chunk);
        bytes += chunk.length;
      } else {
        pending.set(chunk, filled);
        filled += chunk.length;
      }
      if (report && lastTensorEnd > 0) {
        report(lastTensorEnd, layout.totalBytes);
        lastTensorEnd = 0;
      }
    }
    await flush();
    if (report && lastTensorEnd > 0) report(lastTensorEnd, layout.totalBytes);
  } catch (err) {
    await handle.close();
    await rm(file, { force: true });
    throw err;
  }
  await handle.close();
  return { bytes, sha256: hash.digest("hex") };
}
