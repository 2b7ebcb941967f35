// Hostile manifests: arbitrary text, invalid UTF-8, truncated and mutated real manifests, YAML alias bombs,
// nan/inf where numbers go, huge lines. parseManifest returns a Manifest whose every number is finite, or
// throws a ManifestError; nothing else. Then the containment rules: prompt files may not leave the
// manifest's folder (`..`, absolute paths, symlinks) without the flag, and the size limits say how to fix.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManifestError } from "../../core/errors.js";
import { parseManifest } from "../../core/manifest/load-manifest.js";

const EXAMPLES = path.resolve(import.meta.dirname, "../../examples");
const PARAMS = {
  numRuns: Number(process.env.FC_RUNS ?? 60),
  seed: Number(process.env.FC_SEED ?? 20261128),
  endOnFailure: true,
};
const seeds = ["lab1.yaml", "hardware-compare.yaml", "misaligned.yaml", "demo-cpu.yaml"].map((f) =>
  fs.readFileSync(path.join(EXAMPLES, f), "utf8"),
);

let root: string;
let emptyDir: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "specgrid-manifest-prop-"));
  emptyDir = path.join(root, "empty");
  fs.mkdirSync(emptyDir);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const hostileScalar = fc.constantFrom(
  ".nan",
  ".inf",
  "-.inf",
  ".NaN",
  "1e999",
  "9".repeat(400),
  "-1",
  "0",
  "null",
  "~",
  "[]",
  "{}",
  '"x"',
  "!!binary AAAA",
  "*nope",
  "&a",
  "\uD800",
  "\u0000",
);

const ALIAS_BOMB = [
  "a: &a [x, x, x, x, x, x, x, x, x, x]",
  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
  "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
].join("\n");

/** Replace the value after the n-th `key: value` or `- value` with a hostile scalar. */
function replaceValues(text: string, picks: [number, string][]): string {
  const lines = text.split("\n");
  const valueLines = lines.flatMap((l, i) => (/^\s*(?:[\w-]+:\s+\S|- \S)/.test(l) ? [i] : []));
  if (valueLines.length === 0) return text;
  for (const [n, scalar] of picks) {
    const i = valueLines[n % valueLines.length] ?? 0;
    lines[i] = (lines[i] ?? "").replace(/^(\s*(?:[\w-]+:\s+|- ))\S.*$/, `$1${scalar}`);
  }
  return lines.join("\n");
}

const hostileManifest = fc.oneof(
  fc.string({ unit: "binary", maxLength: 400 }),
  fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString("utf8")),
  fc.constant(ALIAS_BOMB),
  fc.constant("name: x\nmodels: *undefined_alias\n"),
  fc.constantFrom(...seeds).chain((s) => fc.nat({ max: s.length }).map((n) => s.slice(0, n))),
  fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), hostileScalar), { minLength: 1, maxLength: 8 }),
    )
    .map(([s, picks]) => replaceValues(s, picks)),
  fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.nat(),
      fc.constantFrom("x".repeat(200_000), "# " + "y".repeat(200_000)),
    )
    .map(([s, at, line]) => {
      const lines = s.split("\n");
      lines.splice(at % (lines.length + 1), 0, line);
      return lines.join("\n");
    }),
);

function allNumbersFinite(value: unknown, at = "manifest"): void {
  if (typeof value === "number") expect(Number.isFinite(value), `${at} = ${value}`).toBe(true);
  else if (typeof value === "object" && value !== null)
    for (const [k, v] of Object.entries(value)) allNumbersFinite(v, `${at}.${k}`);
}

describe("parseManifest on hostile input", () => {
  it("returns a manifest with finite numbers or throws a located ManifestError, never anything else", () => {
    fc.assert(
      fc.property(hostileManifest, (text) => {
        try {
          const m = parseManifest(text, "hostile.yaml", emptyDir);
          allNumbersFinite(m);
        } catch (err) {
          expect(err).toBeInstanceOf(ManifestError);
          const issues = (err as ManifestError).issues;
          expect(issues.length).toBeGreaterThan(0);
          for (const i of issues) expect(typeof i.message).toBe("string");
        }
      }),
      PARAMS,
    );
  });

  it("refuses a YAML alias bomb and an unresolved alias as manifest errors", () => {
    expect(() => parseManifest(ALIAS_BOMB, "bomb.yaml", emptyDir)).toThrow(ManifestError);
    expect(() => parseManifest(ALIAS_BOMB, "bomb.yaml", emptyDir)).toThrow(/alias/);
    expect(() => parseManifest("models: *nope\n", "alias.yaml", emptyDir)).toThrow(ManifestError);
  });

  it("refuses nan and inf wherever a number goes", () => {
    const lab = seeds[0] ?? "";
    for (const bad of [".nan", ".inf", "-.inf"]) {
      const text = lab
        .replace(/^(\s*n_predict:\s*)\S+/m, `$1${bad}`)
        .replace(/^(\s*repeats:\s*)\S+/m, `$1${bad}`);
      expect(text).not.toBe(lab);
      expect(() => parseManifest(text, "lab.yaml", EXAMPLES)).toThrow(ManifestError);
    }
  });
});

describe("manifest prompt files stay inside the manifest's folder", () => {
  const base = `name: escape
models:
  t: { file: t.gguf }
  d: { file: d.gguf }
pairs:
  - { target: t, draft: d }
sweep:
  k: [2]
  temperature: [0]
prompts:
`;
  let sweepDir: string;
  beforeAll(() => {
    sweepDir = path.join(root, "sweep");
    fs.mkdirSync(sweepDir);
    fs.writeFileSync(path.join(root, "secret.txt"), "the secret\n");
    fs.writeFileSync(path.join(sweepDir, "ok.txt"), "a prompt\n");
    fs.symlinkSync(path.join(root, "secret.txt"), path.join(sweepDir, "link.txt"));
    fs.mkdirSync(path.join(sweepDir, "a-dir"));
  });

  const issueOf = (text: string, opts = {}): string => {
    try {
      parseManifest(text, "m.yaml", sweepDir, opts);
    } catch (err) {
      expect(err).toBeInstanceOf(ManifestError);
      return (err as ManifestError).issues.map((i) => `${i.path}: ${i.message}`).join("\n");
    }
    throw new Error("expected a ManifestError");
  };

  it.each([
    ["a relative path up", "../secret.txt"],
    ["a path up and back down", "../sweep/../secret.txt"],
    ["an absolute path", "SECRET_ABSOLUTE"],
    ["a symlink inside that points outside", "link.txt"],
  ])("refuses %s, naming the flag that allows it", (_what, file) => {
    const target = file === "SECRET_ABSOLUTE" ? path.join(root, "secret.txt") : file;
    const message = issueOf(`${base}  - { file: ${JSON.stringify(target)} }\n`);
    expect(message).toMatch(/prompts\[0\]\.file: prompt file .* is outside the manifest's folder/);
    expect(message).toMatch(/--allow-outside-prompts/);
    expect(message).not.toMatch(/the secret/);
  });

  it("reads the same outside file when the user passes the flag", () => {
    const m = parseManifest(`${base}  - { file: ../secret.txt }\n`, "m.yaml", sweepDir, {
      allowOutsidePrompts: true,
    });
    expect(m.prompts[0]?.text).toBe("the secret");
  });

  it("reads a file inside the folder", () => {
    const m = parseManifest(`${base}  - { file: ok.txt }\n`, "m.yaml", sweepDir);
    expect(m.prompts).toEqual([{ text: "a prompt", source: "ok.txt", line: 1 }]);
  });

  it("refuses a directory given as a prompt file", () => {
    expect(issueOf(`${base}  - { file: a-dir }\n`)).toMatch(/not a regular file/);
  });

  it("says how to fix a prompt above the size limit and a grid above the cell limit", () => {
    expect(issueOf(`${base}  - ${"w".repeat(100)}\n`, { maxPromptBytes: 10 })).toMatch(
      /longer than 10 bytes; shorten it \(or raise the limit with --max-prompt-bytes/,
    );
    expect(issueOf(`${base}  - { file: ok.txt }\n`, { maxPromptBytes: 3 })).toMatch(
      /ok\.txt line 1 is longer than 3 bytes; shorten it/,
    );
    const big = base.replace("k: [2]", "k: [1, 2, 3, 4]") + "  - one\n  - two\n";
    expect(issueOf(big, { maxCells: 5 })).toMatch(
      /the grid has \d+ cells, above the limit of 5; shrink the lists or split the sweep .*--max-cells/,
    );
  });
});
