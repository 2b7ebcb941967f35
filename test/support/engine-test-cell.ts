// One cell for an engine test, built the way the engine tests share: target (and, for a speculative cell,
// draft with K 4) by name, temperature 0, seed 42, the fox prompt; the id hashes the parameters.
import { createHash } from "node:crypto";
import type { Cell, CellKind, CellParams, EngineName, LlamaSettings } from "../../core/cell.js";

export const ENGINE_TEST_PROMPT = "The quick brown fox jumps over the lazy dog and";

export interface EngineTestDefaults {
  llama: LlamaSettings;
  nPredict: number;
  /** The prompt; its hash follows it. @default ENGINE_TEST_PROMPT */
  prompt?: string;
  /** @default 42 */
  seed?: number;
  /** What a speculative cell sets beyond the draft "draft" and K 4 (or instead of them). */
  speculative?: Partial<CellParams>;
}

export function engineTestCell(
  engine: EngineName,
  kind: CellKind,
  defaults: EngineTestDefaults,
  overrides: Partial<CellParams> = {},
): Cell {
  const prompt = defaults.prompt ?? ENGINE_TEST_PROMPT;
  const params: CellParams = {
    kind,
    engine,
    target: { name: "target" },
    ...(kind === "speculative"
      ? { draft: { name: "draft" }, k: { kind: "fixed", k: 4 }, ...defaults.speculative }
      : {}),
    temperature: 0,
    prompt,
    promptHash: createHash("sha256").update(prompt).digest("hex"),
    promptIndex: 0,
    nPredict: defaults.nPredict,
    seed: defaults.seed ?? 42,
    repeat: 0,
    llama: defaults.llama,
    ...overrides,
  };
  return {
    ...params,
    cellId: createHash("sha256").update(JSON.stringify(params)).digest("hex").slice(0, 32),
  };
}
