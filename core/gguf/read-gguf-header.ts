// One place that parses a GGUF header (via @huggingface/gguf, which reads only the header bytes of a local
// file) and turns a parse failure into a typed error that names the file. The header's claims are checked
// against the file's size before and after parsing: counts a file of that size cannot hold are refused
// before anything is allocated for them, and every tensor must lie inside the file, so a truncated or
// forged model is refused here, by name, instead of hanging or crashing whatever loads it next.
import { open, stat } from "node:fs/promises";
import { GGMLQuantizationType, gguf } from "@huggingface/gguf";
import type { GGUFTensorInfo, MetadataValue } from "@huggingface/gguf";
import { SpecgridError } from "../errors.js";
import { ggmlTypeSize } from "./ggml-type-sizes.js";

export interface GgufHeader {
  version: number;
  metadata: Record<string, MetadataValue>;
  tensorInfos: GGUFTensorInfo[];
  /** Byte offset of the tensor data section; everything before it is header. */
  tensorDataOffset: number;
  /** Size of the file in bytes. */
  fileBytes: number;
}

// The smallest encodings GGUF allows: a tensor info is a name length (u64), n_dims (u32), at least one
// dimension (u64), a type (u32) and an offset (u64); a key/value pair is a key length (u64), a type (u32)
// and at least one byte of value.
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;
const MIN_KV_BYTES = 8 + 4 + 1;
const PREAMBLE_BYTES = 4 + 4 + 8 + 8;

const FIX = "Check the path, and that the file is a complete .gguf model (copy or download it again).";

function unreadable(file: string, reason: string, cause?: unknown): SpecgridError {
  return new SpecgridError("GGUF_UNREADABLE", `${file}: not a readable GGUF file (${reason}). ${FIX}`, {
    details: { file, reason },
    ...(cause === undefined ? {} : { cause }),
  });
}

async function sizeOf(file: string): Promise<number> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw unreadable(file, "not a regular file");
    return s.size;
  } catch (err) {
    if (err instanceof SpecgridError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "";
    throw unreadable(file, code === "ENOENT" ? "no such file" : (err as Error).message, err);
  }
}

// GGUF v2 and v3 keep the tensor and key/value counts as u64 right after magic and version.
async function checkCounts(file: string, fileBytes: number): Promise<void> {
  const fh = await open(file, "r");
  const head = Buffer.alloc(PREAMBLE_BYTES);
  try {
    await fh.read(head, 0, PREAMBLE_BYTES, 0);
  } finally {
    await fh.close();
  }
  if (fileBytes < PREAMBLE_BYTES || head.toString("latin1", 0, 4) !== "GGUF") return; // the parser says why
  const version = head.readUInt32LE(4);
  if (version < 2) return;
  const tensors = head.readBigUInt64LE(8);
  const kvs = head.readBigUInt64LE(16);
  const least = BigInt(PREAMBLE_BYTES) + tensors * BigInt(MIN_TENSOR_INFO_BYTES) + kvs * BigInt(MIN_KV_BYTES);
  if (least > BigInt(fileBytes)) {
    throw unreadable(
      file,
      `its header claims ${tensors} tensors and ${kvs} metadata keys, more than a file of ${fileBytes} bytes can hold`,
    );
  }
}

function typeName(dtype: number): string {
  return GGMLQuantizationType[dtype] ?? `type ${dtype}`;
}

// Every tensor's data must end inside the file: offsets are relative to the tensor data section.
function checkTensorBounds(file: string, header: Omit<GgufHeader, "fileBytes">, fileBytes: number): void {
  if (header.tensorDataOffset > fileBytes) {
    throw unreadable(
      file,
      `the tensor data would start at byte ${header.tensorDataOffset}, past the end of the file (${fileBytes} bytes): the file is truncated`,
    );
  }
  const dataBytes = BigInt(fileBytes - header.tensorDataOffset);
  for (const t of header.tensorInfos) {
    const elements = t.shape.reduce((a, d) => a * BigInt(d), 1n);
    const size = ggmlTypeSize(t.dtype);
    // a type newer than the table: its size is unknown, but its start must still be inside the file
    let bytes = 0n;
    if (size !== undefined) {
      if (elements % BigInt(size.blockElements) !== 0n) {
        throw unreadable(
          file,
          `tensor ${t.name} has ${elements} elements, not a whole number of ${typeName(t.dtype)} blocks of ${size.blockElements}`,
        );
      }
      bytes = (elements / BigInt(size.blockElements)) * BigInt(size.blockBytes);
    }
    const end = BigInt(t.offset) + bytes;
    if (end > dataBytes) {
      throw unreadable(
        file,
        `tensor ${t.name} (${typeName(t.dtype)}, ${elements} elements) ends at byte ${BigInt(header.tensorDataOffset) + end}, past the end of the file (${fileBytes} bytes): the file is truncated`,
      );
    }
  }
}

/** Parses the header of a local GGUF file; throws SpecgridError `GGUF_UNREADABLE` naming the file. */
export async function readGgufHeader(file: string): Promise<GgufHeader> {
  const fileBytes = await sizeOf(file);
  await checkCounts(file, fileBytes);
  let header: Omit<GgufHeader, "fileBytes">;
  try {
    const parsed = await gguf(file, { allowLocalFile: true });
    const metadata = parsed.metadata as unknown as Record<string, MetadataValue>;
    header = {
      version: Number(metadata.version),
      metadata,
      tensorInfos: parsed.tensorInfos,
      tensorDataOffset: Number(parsed.tensorDataOffset),
    };
  } catch (err) {
    throw unreadable(file, err instanceof Error ? err.message : String(err), err);
  }
  checkTensorBounds(file, header, fileBytes);
  return { ...header, fileBytes };
}

/**
 * A header llama.cpp can load a model from: readable, every tensor inside the file, and an architecture
 * named. Cheap (header bytes only); callers run it before handing a file to llama.cpp.
 */
export async function checkGgufModelFile(file: string): Promise<GgufHeader> {
  const header = await readGgufHeader(file);
  if (typeof header.metadata["general.architecture"] !== "string") {
    throw new SpecgridError(
      "GGUF_UNREADABLE",
      `${file}: GGUF header has no general.architecture, so llama.cpp cannot load it. ${FIX}`,
      { details: { file, reason: "no general.architecture" } },
    );
  }
  return header;
}
