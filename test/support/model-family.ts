// The model family tests run real inference on. Interface is stable; the implementation will be switched to
// the project's own synthesizer (specgrid models synth) generating into a temp dir once per test file.
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface ModelFamily {
  dir: string;
  target: string;
  /** Drafts by noise level: 0 = identical copy. */
  drafts: Map<number, string>;
  /** Independent small draft (misaligned pair); may be undefined until the synthesizer provides it. */
  small?: string;
  /** A model whose vocabulary cannot pair with the target. */
  vocabMismatch: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));

export function getModelFamily(): Promise<ModelFamily> {
  const dir = path.resolve(here, "../../../shared/reference/llama-cpp/models");
  return Promise.resolve({
    dir,
    target: path.join(dir, "target.gguf"),
    drafts: new Map([
      [0, path.join(dir, "draft-n0.gguf")],
      [0.02, path.join(dir, "draft-n02.gguf")],
      [0.05, path.join(dir, "draft-n05.gguf")],
      [1, path.join(dir, "draft-n100.gguf")],
    ]),
    vocabMismatch: path.join(dir, "vocab-mismatch.gguf"),
  });
}
