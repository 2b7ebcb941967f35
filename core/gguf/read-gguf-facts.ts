// The facts a planner and a report need about a model, from its GGUF header alone (never the tensor data).
import { GGMLFileQuantizationType, GGMLQuantizationType } from "@huggingface/gguf";
import type { MetadataValue } from "@huggingface/gguf";
import { SpecgridError } from "../errors.js";
import type { GgufVocab, GgufVocabFacts } from "./gguf-vocab.js";
import { vocabFromMetadata } from "./gguf-vocab.js";
import { readGgufHeader } from "./read-gguf-header.js";
import type { GgufHeader } from "./read-gguf-header.js";

export interface GgufFacts {
  ggufVersion: number;
  architecture: string;
  /** `general.name`, when the file has one. */
  name?: string;
  /** Sum over tensors of the product of their dimensions. */
  parameterCount: number;
  tensorCount: number;
  /** Tensor counts by ggml type name, e.g. { F32: 9, Q4_K: 193, Q6_K: 33 }. */
  tensorTypes: Record<string, number>;
  /** The ggml type holding the most parameters, e.g. "Q4_K" or "F32". */
  quantization: string;
  /** `general.file_type` as llama.cpp names it (e.g. "Q4_K_M"), when present. */
  fileType?: string;
  fileBytes: number;
  /** Bytes of the tensor data section: what the weights occupy once loaded. */
  tensorDataBytes: number;
  contextLength: number;
  blockCount: number;
  embeddingLength: number;
  feedForwardLength?: number;
  headCount: number;
  headCountKv: number;
  /** Per-head K and V widths; `embeddingLength / headCount` unless the file says otherwise. */
  keyLength: number;
  valueLength: number;
  vocab: GgufVocabFacts;
  /**
   * Speculation heads inside the file, as llama.cpp detects them (core/spec-types.ts missingHeads):
   * `<arch>.nextn_predict_layers` and the last block's `nextn.eh_proj` tensor (MTP), a `markov_w1` tensor
   * (DSpark). EAGLE-3 and DFlash heads are files of their own architecture (`architecture`).
   */
  heads: { nextnPredictLayers?: number; nextnTensors: boolean; markovHead: boolean };
}

/** Facts and the full vocabulary from one read of the header. */
export interface GgufModel {
  facts: GgufFacts;
  vocab: GgufVocab;
}

// Per-layer values (some architectures store arrays): the largest one sizes the KV cache.
function numberOf(v: MetadataValue | undefined): number | undefined {
  if (typeof v === "number" || typeof v === "bigint") return Number(v);
  if (Array.isArray(v) && v.length > 0) {
    const nums = v.filter((x): x is number | bigint => typeof x === "number" || typeof x === "bigint");
    return nums.length > 0 ? Math.max(...nums.map(Number)) : undefined;
  }
  return undefined;
}

function headsOf(
  md: GgufHeader["metadata"],
  arch: string,
  tensors: GgufHeader["tensorInfos"],
): GgufFacts["heads"] {
  const blocks = numberOf(md[`${arch}.block_count`]);
  const names = new Set(tensors.map((t) => t.name));
  const heads: GgufFacts["heads"] = {
    nextnTensors: blocks !== undefined && names.has(`blk.${blocks - 1}.nextn.eh_proj.weight`),
    markovHead: names.has("markov_w1.weight"),
  };
  const nextn = numberOf(md[`${arch}.nextn_predict_layers`]);
  if (nextn !== undefined) heads.nextnPredictLayers = nextn;
  return heads;
}

function factsFromHeader(file: string, header: GgufHeader, fileBytes: number): GgufModel {
  const md = header.metadata;
  const arch = md["general.architecture"];
  if (typeof arch !== "string") {
    throw new SpecgridError("GGUF_UNREADABLE", `${file}: GGUF header has no general.architecture`, {
      details: { file },
    });
  }
  const required = (key: string): number => {
    const v = numberOf(md[`${arch}.${key}`]);
    if (v === undefined) {
      throw new SpecgridError(
        "GGUF_UNREADABLE",
        `${file}: GGUF header lacks ${arch}.${key}, which the memory estimate needs`,
        { details: { file, key: `${arch}.${key}` } },
      );
    }
    return v;
  };

  let parameterCount = 0;
  const tensorTypes: Record<string, number> = {};
  const elementsByType = new Map<string, number>();
  for (const t of header.tensorInfos) {
    const elements = t.shape.reduce((a, d) => a * Number(d), 1);
    parameterCount += elements;
    const type = GGMLQuantizationType[t.dtype] ?? `type${t.dtype}`;
    tensorTypes[type] = (tensorTypes[type] ?? 0) + 1;
    elementsByType.set(type, (elementsByType.get(type) ?? 0) + elements);
  }
  const quantization = [...elementsByType].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "none";

  const embeddingLength = required("embedding_length");
  const headCount = required("attention.head_count");
  const headDim = Math.floor(embeddingLength / headCount);
  const vocab = vocabFromMetadata(md);
  const { tokens: _tokens, ...vocabFacts } = vocab;
  const facts: GgufFacts = {
    ggufVersion: header.version,
    architecture: arch,
    parameterCount,
    tensorCount: header.tensorInfos.length,
    tensorTypes,
    quantization,
    fileBytes,
    tensorDataBytes: fileBytes - header.tensorDataOffset,
    contextLength: required("context_length"),
    blockCount: required("block_count"),
    embeddingLength,
    headCount,
    headCountKv: numberOf(md[`${arch}.attention.head_count_kv`]) ?? headCount,
    keyLength: numberOf(md[`${arch}.attention.key_length`]) ?? headDim,
    valueLength: numberOf(md[`${arch}.attention.value_length`]) ?? headDim,
    vocab: vocabFacts,
    heads: headsOf(md, arch, header.tensorInfos),
  };
  const name = md["general.name"];
  if (typeof name === "string") facts.name = name;
  const ff = numberOf(md[`${arch}.feed_forward_length`]);
  if (ff !== undefined) facts.feedForwardLength = ff;
  const fileType = numberOf(md["general.file_type"]);
  if (fileType !== undefined) facts.fileType = GGMLFileQuantizationType[fileType] ?? `file_type ${fileType}`;
  return { facts, vocab };
}

/** Facts and full vocabulary of a GGUF file (header only). */
export async function readGgufModel(file: string): Promise<GgufModel> {
  const header = await readGgufHeader(file);
  return factsFromHeader(file, header, header.fileBytes);
}

/** The facts of a GGUF file (header only); use readGgufModel when the token texts are needed too. */
export async function readGgufFacts(file: string): Promise<GgufFacts> {
  return (await readGgufModel(file)).facts;
}
