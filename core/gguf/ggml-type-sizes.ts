// Bytes a tensor of each ggml type occupies: elements come in blocks of `blockElements`, stored in
// `blockBytes` (ggml's type traits, as ggml.c and @huggingface/gguf list them). Used to check that every
// tensor a header describes lies inside the file.
import { GGMLQuantizationType as T } from "@huggingface/gguf";

export interface GgmlTypeSize {
  blockElements: number;
  blockBytes: number;
}

const QK_K = 256;

const SIZES: Partial<Record<number, GgmlTypeSize>> = {
  [T.F32]: { blockElements: 1, blockBytes: 4 },
  [T.F16]: { blockElements: 1, blockBytes: 2 },
  [T.Q4_0]: { blockElements: 32, blockBytes: 2 + 16 },
  [T.Q4_1]: { blockElements: 32, blockBytes: 2 + 2 + 16 },
  [T.Q5_0]: { blockElements: 32, blockBytes: 2 + 4 + 16 },
  [T.Q5_1]: { blockElements: 32, blockBytes: 2 + 2 + 4 + 16 },
  [T.Q8_0]: { blockElements: 32, blockBytes: 2 + 32 },
  [T.Q8_1]: { blockElements: 32, blockBytes: 4 + 4 + 32 },
  [T.Q2_K]: { blockElements: QK_K, blockBytes: 2 + 2 + QK_K / 16 + QK_K / 4 },
  [T.Q3_K]: { blockElements: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 8 + 12 },
  [T.Q4_K]: { blockElements: QK_K, blockBytes: 2 + 2 + QK_K / 2 + 12 },
  [T.Q5_K]: { blockElements: QK_K, blockBytes: 2 + 2 + QK_K / 2 + QK_K / 8 + 12 },
  [T.Q6_K]: { blockElements: QK_K, blockBytes: 2 + QK_K / 2 + QK_K / 4 + QK_K / 16 },
  [T.Q8_K]: { blockElements: QK_K, blockBytes: 4 + QK_K + QK_K / 8 },
  [T.IQ2_XXS]: { blockElements: QK_K, blockBytes: 2 + QK_K / 4 },
  [T.IQ2_XS]: { blockElements: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 32 },
  [T.IQ3_XXS]: { blockElements: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 8 },
  [T.IQ1_S]: { blockElements: QK_K, blockBytes: 2 + QK_K / 8 + QK_K / 16 },
  [T.IQ4_NL]: { blockElements: 32, blockBytes: 2 + 16 },
  [T.IQ3_S]: { blockElements: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4 },
  [T.IQ2_S]: { blockElements: QK_K, blockBytes: 2 + QK_K / 4 + QK_K / 16 },
  [T.IQ4_XS]: { blockElements: QK_K, blockBytes: 2 + 2 + QK_K / 2 + QK_K / 64 },
  [T.I8]: { blockElements: 1, blockBytes: 1 },
  [T.I16]: { blockElements: 1, blockBytes: 2 },
  [T.I32]: { blockElements: 1, blockBytes: 4 },
  [T.I64]: { blockElements: 1, blockBytes: 8 },
  [T.F64]: { blockElements: 1, blockBytes: 8 },
  [T.IQ1_M]: { blockElements: QK_K, blockBytes: QK_K / 8 + QK_K / 16 + QK_K / 32 },
  [T.BF16]: { blockElements: 1, blockBytes: 2 },
  [T.TQ1_0]: { blockElements: QK_K, blockBytes: 2 + 4 * 13 },
  [T.TQ2_0]: { blockElements: QK_K, blockBytes: 2 + 64 },
  [T.MXFP4]: { blockElements: 32, blockBytes: 1 + 16 },
};

/** Block layout of a ggml type; undefined for a type this table does not know (newer than it). */
export function ggmlTypeSize(dtype: number): GgmlTypeSize | undefined {
  return SIZES[dtype];
}
