// sha256 of multi-GB model files takes minutes; the agent hashes each file once and remembers the hash by
// (path, size, mtime) in a small JSON file, so a restart or a second probe is instant.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

interface CacheEntry {
  sizeBytes: number;
  mtimeMs: number;
  sha256: string;
}

interface CacheFile {
  version: 1;
  entries: Record<string, CacheEntry>;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export class Sha256Cache {
  private entries: Record<string, CacheEntry> = {};
  private dirty = false;
  /** Files hashed (not served from the cache) since load. */
  hashed = 0;

  private constructor(private readonly cacheFile: string | undefined) {}

  /** Loads the cache file; a missing or unreadable file starts an empty cache (it is only a cache). */
  static async open(cacheFile: string | undefined): Promise<Sha256Cache> {
    const cache = new Sha256Cache(cacheFile);
    if (cacheFile === undefined) return cache;
    try {
      const data = JSON.parse(await readFile(cacheFile, "utf8")) as Partial<CacheFile>;
      if (data.version === 1 && data.entries) cache.entries = data.entries;
    } catch {
      // Absent or corrupt: rebuilt on save.
    }
    return cache;
  }

  async sha256(file: string, sizeBytes: number, mtimeMs: number): Promise<string> {
    const hit = this.entries[file];
    if (hit && hit.sizeBytes === sizeBytes && hit.mtimeMs === mtimeMs) return hit.sha256;
    const sha256 = await sha256File(file);
    this.entries[file] = { sizeBytes, mtimeMs, sha256 };
    this.dirty = true;
    this.hashed += 1;
    return sha256;
  }

  /** Writes the cache atomically (temp file + rename) when anything changed. */
  async save(): Promise<void> {
    if (!this.dirty || this.cacheFile === undefined) return;
    await mkdir(path.dirname(this.cacheFile), { recursive: true });
    const tmp = `${this.cacheFile}.${process.pid}.tmp`;
    const body: CacheFile = { version: 1, entries: this.entries };
    await writeFile(tmp, JSON.stringify(body, null, 1));
    await rename(tmp, this.cacheFile);
    this.dirty = false;
  }
}
