// One cell for an engine test, built the way the engine tests share: target (and, for a speculative cell,
// draft with K 4) by name, temperature 0, seed 42, the fox prompt; the id hashes the parameters.
import { createHash } from "node:crypto";
import type { Cell, CellKind, CellParams, EngineName, LlamaSettings } from "../../core/cell.js";

export const ENGINE_TEST_PROMPT = "The quick brown fox jumps over the lazy dog and";

export function engineTestCell(
  engine: EngineName,
  kind: CellKind,
  defaults: { llama: LlamaSettings; nPredict: number },
  overrides: Partial<CellParams> = {},
): Cell {
  const params: CellParams = {
    kind,
    engine,
    target: { name: "target" },
    ...(kind === "speculative" ? { draft: { name: "draft" }, k: { kind: "fixed", k: 4 } } : {}),
    temperature: 0,
    prompt: ENGINE_TEST_PROMPT,
    promptHash: createHash("sha256").update(ENGINE_TEST_PROMPT).digest("hex"),
    promptIndex: 0,
    nPredict: defaults.nPredict,
    seed: 42,
    repeat: 0,
    llama: defaults.llama,
    ...overrides,
  };
  return {
    ...params,
    cellId: createHash("sha256").update(JSON.stringify(params)).digest("hex").slice(0, 32),
  };
}
