// One place that parses a GGUF header (via @huggingface/gguf, which reads only the header bytes of a local
// file) and turns a parse failure into a typed error that names the file.
import { gguf } from "@huggingface/gguf";
import type { GGUFTensorInfo, MetadataValue } from "@huggingface/gguf";
import { SpecgridError } from "../errors.js";

export interface GgufHeader {
  version: number;
  metadata: Record<string, MetadataValue>;
  tensorInfos: GGUFTensorInfo[];
  /** Byte offset of the tensor data section; everything before it is header. */
  tensorDataOffset: number;
}

/** Parses the header of a local GGUF file; throws SpecgridError `GGUF_UNREADABLE` naming the file. */
export async function readGgufHeader(file: string): Promise<GgufHeader> {
  try {
    const parsed = await gguf(file, { allowLocalFile: true });
    const metadata = parsed.metadata as unknown as Record<string, MetadataValue>;
    return {
      version: Number(metadata.version),
      metadata,
      tensorInfos: parsed.tensorInfos,
      tensorDataOffset: Number(parsed.tensorDataOffset),
    };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SpecgridError(
      "GGUF_UNREADABLE",
      `${file}: not a readable GGUF file (${reason}). Check the path, and that the file is a complete .gguf model.`,
      { details: { file, reason }, cause: err },
    );
  }
}
