// The model family tests run real inference on: the project's own synthetic models (specgrid models synth),
// generated once per test process into a temp dir (about half a second) and removed when the process exits.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { synthesizeFamily } from "../../core/gguf/synth-family.js";

export interface ModelFamily {
  dir: string;
  target: string;
  /** Drafts by noise level: 0 = identical copy; also 0.01, 0.02, 0.05, 0.2 and 1. */
  drafts: Map<number, string>;
  /** Independent small draft (misaligned pair: n_embd 64, 2 layers, F16). */
  small: string;
  /** A model whose vocabulary cannot pair with the target (535 tokens against 735). */
  vocabMismatch: string;
}

/** Noise levels of the test family's drafts. */
export const FAMILY_NOISE_LEVELS = [0, 0.01, 0.02, 0.05, 0.2, 1] as const;
/** Seed of the test family: fixed, so every test process sees byte-identical models. */
export const FAMILY_SEED = 1;

let cached: Promise<ModelFamily> | undefined;

async function generate(): Promise<ModelFamily> {
  const dir = mkdtempSync(path.join(tmpdir(), "specgrid-model-family-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const files = await synthesizeFamily({ outDir: dir, noise: FAMILY_NOISE_LEVELS, seed: FAMILY_SEED });
  const byRole = (role: string): string => {
    const f = files.find((x) => x.role === role);
    if (!f) throw new Error(`synthesized family has no ${role}`);
    return f.path;
  };
  const drafts = new Map<number, string>();
  for (const f of files) if (f.role === "draft" && f.noise !== undefined) drafts.set(f.noise, f.path);
  return {
    dir,
    target: byRole("target"),
    drafts,
    small: byRole("draft-small"),
    vocabMismatch: byRole("vocab-mismatch"),
  };
}

/** The family, generated on first use in this process and shared afterwards. */
export function getModelFamily(): Promise<ModelFamily> {
  cached ??= generate();
  return cached;
}
