// A fresh clone must pass its own tests and run its README as written: no test reaches outside the
// repository for files, and the README's install commands work on a machine whose package lists are empty.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

async function listTs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "fixtures") out.push(...(await listTs(p)));
    else if (entry.isFile() && entry.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** The shell lines of the README's ```sh blocks. */
function shellLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g))
    lines.push(...block[1]!.split("\n").filter((l) => l.trim() !== ""));
  return lines;
}

describe("the repository is self-contained", () => {
  it("no test source names a folder outside the repository", async () => {
    const offenders: string[] = [];
    for (const file of await listTs(path.join(ROOT, "test"))) {
      const text = await readFile(file, "utf8");
      // a literal path climbing out of the repo root, or the workspace's shared folder
      if (/["'`](\.\.\/){3,}[^"'`]*["'`]|\/shared\/reference|\.\.\/shared\b/.test(text))
        offenders.push(path.relative(ROOT, file));
    }
    expect(offenders.filter((f) => f !== "test/unit/self-contained.test.ts")).toEqual([]);
  });

  it("every README command that installs Debian packages updates the package lists first", async () => {
    const lines = shellLines(await readFile(path.join(ROOT, "README.md"), "utf8"));
    const installs = lines.filter((l) => /\bapt(-get)? install\b/.test(l));
    expect(installs.length).toBeGreaterThanOrEqual(2);
    for (const line of installs) {
      const update = line.search(/\bapt(-get)? update\b/);
      const install = line.search(/\bapt(-get)? install\b/);
      expect(update, line).toBeGreaterThanOrEqual(0);
      expect(update, line).toBeLessThan(install);
      // `;` would run the install even when the update failed, and prompts would hang a fresh shell
      expect(line.slice(update, install), line).toMatch(/&&\s*$/);
      expect(line, line).toMatch(/install -y/);
    }
  });
});
