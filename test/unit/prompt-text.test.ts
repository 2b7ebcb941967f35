// Prompt files are text: one prompt per line, UTF-8, no control characters. Binary data used to be taken
// as prompts (4 KB of random bytes became 11 prompts and 132 cells; invalid UTF-8 became U+FFFD and NUL
// bytes went into prompts). Real files, and `validate` as a child process.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManifestError } from "../../core/errors.js";
import { loadManifest } from "../../core/manifest/load-manifest.js";
import { runCli } from "../support/run-cli.js";

let dir: string;
const manifest = (prompts: string): string =>
  [
    "name: prompt-text",
    "models: { t: { file: t.gguf }, d: { file: d.gguf } }",
    "pairs: [{ target: t, draft: d }]",
    `prompts: ${prompts}`,
    "sweep: { k: [2], temperature: [0], n_predict: 8, repeats: 1 }",
  ].join("\n");

function write(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

async function issuesOf(file: string): Promise<string[]> {
  const err = await loadManifest(file).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ManifestError);
  return (err as ManifestError).issues.map((i) => `${i.path}: ${i.message}`);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "specgrid-prompt-text-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("prompt files must be UTF-8 text", () => {
  it("refuses 4 KB of random bytes, naming the file and the bad lines (a few, then a count)", async () => {
    write("random.bin", randomBytes(4096));
    const issues = await issuesOf(write("random.yaml", manifest("[{ file: random.bin }]")));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(
      /^prompts\[0\]\.file: prompt file random\.bin is not plain UTF-8 text: line \d+ /,
    );
    expect(issues[0]).toMatch(/save the file as UTF-8 text/);
  });

  it("refuses invalid UTF-8 on one line, by line number", async () => {
    write(
      "latin1.txt",
      Buffer.concat([Buffer.from("fine prompt\ncaf"), Buffer.from([0xe9]), Buffer.from("\n")]),
    );
    const issues = await issuesOf(write("latin1.yaml", manifest("[{ file: latin1.txt }]")));
    expect(issues[0]).toMatch(/latin1\.txt is not plain UTF-8 text: line 2 is not valid UTF-8\./);
  });

  it("refuses NUL and other control characters with line and column", async () => {
    write("nul.txt", "ok\nabc\u0000def\nx\u001b[31my\n");
    const issues = await issuesOf(write("nul.yaml", manifest("[{ file: nul.txt }]")));
    expect(issues[0]).toContain("line 2 column 4 holds the control character U+0000 (NUL)");
    expect(issues[0]).toContain("line 3 column 2 holds the control character U+001B (ESC)");
  });

  it("refuses a control character in an inline prompt", async () => {
    const issues = await issuesOf(write("inline.yaml", manifest('["bell \\a here"]')));
    expect(issues[0]).toMatch(/^prompts\[0\]: prompt holds the control character U\+0007 at column 6/);
  });

  it("accepts UTF-8 text with a BOM, CRLF line ends, tabs and non-ASCII letters", async () => {
    write("good.txt", "\uFEFFcafé\tcrème\r\nЗдравствуй, мир\r\n日本語のプロンプト\n");
    const m = await loadManifest(write("good.yaml", manifest('[{ file: good.txt }, "multi\\nline inline"]')));
    expect(m.prompts.map((p) => p.text)).toEqual([
      "café\tcrème",
      "Здравствуй, мир",
      "日本語のプロンプト",
      "multi\nline inline",
    ]);
  });

  it("validate exits 2 on a binary prompt file, as a real process", async () => {
    write("binary.bin", Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x41, 0x00, 0x42, 0x0a]));
    const file = write("binary.yaml", manifest("[{ file: binary.bin }]"));
    const run = await runCli(["validate", file]);
    expect(run.status, run.stdout + run.stderr).toBe(2);
    expect(run.stdout + run.stderr).toMatch(
      /binary\.bin is not plain UTF-8 text: line 1 is not valid UTF-8; line 2 column 2 holds the control character U\+0000 \(NUL\)/,
    );
  });
});
