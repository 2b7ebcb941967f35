// The model family tests run real inference on: the project's own synthetic models (specgrid models synth).
// Generation is deterministic, so the family is cached in the temp dir under a key made of the seed, the
// noise levels and the synthesizer's source text: every test process after the first reuses it (no
// per-process copies left behind when a worker is killed), and a change to the synthesizer gets a new key.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { synthesizeFamily } from "../../core/gguf/synth-family.js";
import type { SynthFile } from "../../core/gguf/synth-family.js";

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

const GGUF_SOURCES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../core/gguf");
const SYNTH_SOURCES = [
  "synth-family.ts",
  "synth-llama.ts",
  "synth-vocab.ts",
  "synth-words.ts",
  "seeded-gaussian.ts",
  "write-gguf.ts",
  "float16-bits.ts",
];
const MANIFEST = "family.json";

type ManifestEntry = Pick<SynthFile, "file" | "role" | "noise" | "sha256">;

function cacheKey(): string {
  const hash = createHash("sha256").update(JSON.stringify({ seed: FAMILY_SEED, noise: FAMILY_NOISE_LEVELS }));
  for (const f of SYNTH_SOURCES) hash.update(readFileSync(path.join(GGUF_SOURCES, f)));
  return hash.digest("hex").slice(0, 16);
}

function toFamily(dir: string, entries: ManifestEntry[]): ModelFamily {
  const byRole = (role: string): string => {
    const f = entries.find((x) => x.role === role);
    if (!f) throw new Error(`synthesized family in ${dir} has no ${role}`);
    return path.join(dir, f.file);
  };
  const drafts = new Map<number, string>();
  for (const f of entries)
    if (f.role === "draft" && f.noise !== undefined) drafts.set(f.noise, path.join(dir, f.file));
  return {
    dir,
    target: byRole("target"),
    drafts,
    small: byRole("draft-small"),
    vocabMismatch: byRole("vocab-mismatch"),
  };
}

async function readManifest(dir: string): Promise<ManifestEntry[]> {
  return JSON.parse(await readFile(path.join(dir, MANIFEST), "utf8")) as ManifestEntry[];
}

async function generate(): Promise<ModelFamily> {
  const dir = path.join(tmpdir(), `specgrid-model-family-${cacheKey()}`);
  if (existsSync(path.join(dir, MANIFEST))) {
    const entries = await readManifest(dir);
    if (entries.every((e) => existsSync(path.join(dir, e.file)))) return toFamily(dir, entries);
    // someone removed files from the cache: start it again
    await rm(dir, { recursive: true, force: true });
  }
  // Build beside the final name and rename into place: readers never see a half-written family.
  const staging = await mkdtemp(`${dir}.staging-`);
  try {
    const files = await synthesizeFamily({ outDir: staging, noise: FAMILY_NOISE_LEVELS, seed: FAMILY_SEED });
    const entries: ManifestEntry[] = files.map(({ file, role, noise, sha256 }) => ({
      file,
      role,
      noise,
      sha256,
    }));
    await writeFile(path.join(staging, MANIFEST), JSON.stringify(entries, null, 2));
    try {
      await rename(staging, dir);
    } catch (err) {
      // another test process won the race; its family is byte-identical
      if (!existsSync(path.join(dir, MANIFEST))) throw err;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return toFamily(dir, await readManifest(dir));
}

let cached: Promise<ModelFamily> | undefined;

/** The family: generated on first use (about half a second), then shared by this and later test processes. */
export function getModelFamily(): Promise<ModelFamily> {
  cached ??= generate();
  return cached;
}
