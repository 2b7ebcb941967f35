// `demo` into an --out that already holds a demo used to overwrite a user-edited demo.yaml and the previous
// report. It now refuses, changing nothing, unless --force. The CLI as a child process on real files.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoFilesIn } from "../../cli/commands/demo.js";
import { runCli } from "../support/run-cli.js";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "specgrid-demo-out-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("demo --out", () => {
  it("refuses a folder holding a previous demo and leaves every file as it was", async () => {
    const out = path.join(dir, "previous");
    fs.mkdirSync(out);
    const files = {
      "demo.yaml": "name: my-edited-demo\n# edited by hand\n",
      "report.md": "# last week's report\n",
      "specgrid.sqlite": "not touched",
    };
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(out, f), text);
    const run = await runCli(["demo", "--out", out]);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain(`${out} already holds a demo (demo.yaml, specgrid.sqlite, report.md)`);
    expect(run.stderr).toMatch(/--force/);
    expect(run.stderr).toContain(`specgrid run ${path.join(out, "demo.yaml")}`);
    for (const [f, text] of Object.entries(files))
      expect(fs.readFileSync(path.join(out, f), "utf8")).toBe(text);
    expect(fs.readdirSync(out).sort()).toEqual(Object.keys(files).sort());
  });

  it("finds nothing to protect in a missing or unrelated folder", async () => {
    expect(await demoFilesIn(path.join(dir, "does-not-exist"))).toEqual([]);
    const other = path.join(dir, "other");
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, "notes.txt"), "x");
    expect(await demoFilesIn(other)).toEqual([]);
  });
});
