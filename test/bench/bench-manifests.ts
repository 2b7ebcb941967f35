// Manifests the benchmarks plan and run, written into a temp dir. Sizes are exact by construction:
// cells = prompts x temperatures x repeats x (1 baseline + pairs x Ks).
import { writeFile } from "node:fs/promises";
import path from "node:path";

export interface GridShape {
  pairs: number;
  ks: number;
  temperatures: number;
  prompts: number;
  repeats: number;
}

export function gridCells(g: GridShape): number {
  return g.prompts * g.temperatures * g.repeats * (1 + g.pairs * g.ks);
}

/** 100,000 cells: 10 prompts x 4 temperatures x 100 repeats x (1 + 4 pairs x 6 Ks). */
export const PLAN_100K: GridShape = { pairs: 4, ks: 6, temperatures: 4, prompts: 10, repeats: 100 };
/** 20,000 cells: 10 prompts x 4 temperatures x 100 repeats x (1 + 1 pair x 4 Ks). */
export const PIPELINE_20K: GridShape = { pairs: 1, ks: 4, temperatures: 4, prompts: 10, repeats: 100 };
/** 2,000 cells, the same grid with 10 repeats: what fits the 10-minute bench budget on the 2-core box. */

/** Draft files the grids name; the synthetic family has these names (test/support/model-family.ts). */
const DRAFT_FILES = ["draft-n0.gguf", "draft-n0.01.gguf", "draft-n0.02.gguf", "draft-n0.05.gguf"];

/** Writes a manifest of the given shape (JSON, which is YAML) and returns its path. */
export async function writeGridManifest(
  dir: string,
  name: string,
  g: GridShape,
  /** Manifest keys set over the defaults below (placement, estimate). */
  overrides: Record<string, unknown> = {},
): Promise<string> {
  if (g.pairs > DRAFT_FILES.length) throw new Error(`at most ${DRAFT_FILES.length} pairs`);
  const drafts = DRAFT_FILES.slice(0, g.pairs);
  const models: Record<string, { file: string }> = { target: { file: "target.gguf" } };
  for (const f of drafts) models[f.replace(/\.gguf$/, "")] = { file: f };
  const manifest = {
    name,
    models,
    pairs: drafts.map((f) => ({ target: "target", draft: f.replace(/\.gguf$/, "") })),
    prompts: Array.from({ length: g.prompts }, (_, i) => `Benchmark prompt number ${i} about a little fox`),
    sweep: {
      k: Array.from({ length: g.ks }, (_, i) => i + 1),
      temperature: Array.from({ length: g.temperatures }, (_, i) => i * 0.25),
      n_predict: 8,
      repeats: g.repeats,
      seed: 1,
    },
    baseline: true,
    placement: "spread",
    engine: "in-process",
    llama: { gpu_layers: 0, ctx: 256, threads: 1 },
    ...overrides,
  };
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, JSON.stringify(manifest, null, 2));
  return file;
}
