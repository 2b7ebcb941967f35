// The agent's model inventory: every .gguf under the configured directories, named by sha256 so the
// coordinator can ask for a model by content without ever sending a path.
import { readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { Sha256Cache } from "./sha256-cache.js";

export interface ModelFile {
  /** Absolute real path (symlinks resolved). */
  path: string;
  /** The configured directory it was found under. */
  dir: string;
  file: string;
  sizeBytes: number;
  mtimeMs: number;
  sha256: string;
  /** GGUF facts from the core reader, when one was given; `factsError` when it could not read them. */
  facts?: unknown;
  factsError?: string;
}

export interface ScanModelsOptions {
  /** JSON file remembering hashes by (path, size, mtime). No caching when undefined. */
  cacheFile?: string;
  /**
   * An open cache to use instead of opening `cacheFile`: an agent keeps one across rescans, so a file it
   * hashed once is never hashed again while its size and mtime stay (even with no cache file).
   */
  cache?: Sha256Cache;
  /** Reads GGUF facts of one file (core/gguf). Skipped when undefined. */
  readFacts?: (file: string) => Promise<unknown>;
  /** Descend into subdirectories. @default true */
  recursive?: boolean;
}

export interface ModelScan {
  dirs: string[];
  models: ModelFile[];
  /** Directories that could not be read, with why. */
  problems: string[];
  /** Files hashed during this scan (the rest came from the cache). */
  hashed: number;
}

async function listGguf(dir: string, recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && recursive) out.push(...(await listGguf(full, recursive)));
    else if ((e.isFile() || e.isSymbolicLink()) && e.name.toLowerCase().endsWith(".gguf")) out.push(full);
  }
  return out;
}

export async function scanModels(dirs: string[], opts: ScanModelsOptions = {}): Promise<ModelScan> {
  const cache = opts.cache ?? (await Sha256Cache.open(opts.cacheFile));
  const hashedBefore = cache.hashed;
  const models: ModelFile[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const roots: string[] = [];
  for (const d of dirs) {
    let root: string;
    try {
      root = await realpath(d);
    } catch (err) {
      problems.push(`model directory ${d} cannot be read: ${(err as Error).message}`);
      continue;
    }
    roots.push(root);
    for (const candidate of await listGguf(root, opts.recursive ?? true)) {
      let real: string;
      try {
        real = await realpath(candidate);
      } catch {
        problems.push(`${candidate}: dangling symlink`);
        continue;
      }
      // A symlink that points outside the configured directory is not part of the inventory.
      if (real !== root && !real.startsWith(root + path.sep)) {
        problems.push(`${candidate} points outside ${root}; skipped`);
        continue;
      }
      if (seen.has(real)) continue;
      seen.add(real);
      const st = await stat(real);
      const sha256 = await cache.sha256(real, st.size, st.mtimeMs);
      const model: ModelFile = {
        path: real,
        dir: root,
        file: path.basename(real),
        sizeBytes: st.size,
        mtimeMs: st.mtimeMs,
        sha256,
      };
      if (opts.readFacts) {
        try {
          model.facts = await opts.readFacts(real);
        } catch (err) {
          model.factsError = (err as Error).message;
        }
      }
      models.push(model);
    }
  }
  await cache.save();
  models.sort((a, b) => a.path.localeCompare(b.path));
  return { dirs: roots, models, problems, hashed: cache.hashed - hashedBefore };
}
