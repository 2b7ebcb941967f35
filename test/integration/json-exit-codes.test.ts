// Bad input exits 2 with or without --json, and the --json error is one JSON document on stdout: a script
// driving specgrid must tell "you asked for something wrong" (2) from "the run failed" (1) either way.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { exitCodeOf } from "../../cli/workflows/specgrid-command.js";
import { runCli } from "../support/run-cli.js";

const dir = mkdtempSync(path.join(tmpdir(), "specgrid-exit-"));
const bad = path.join(dir, "bad.yaml");
writeFileSync(bad, "name: x\nmodels: {}\n");

const cases: { why: string; args: string[] }[] = [
  { why: "an invalid manifest", args: ["validate", bad] },
  { why: "a missing results database", args: ["results", "list", "--db", path.join(dir, "none.db")] },
  { why: "an unknown flag", args: ["theory", "--alpha", "0.5", "--no-such-flag"] },
  { why: "a missing argument", args: ["report", "--db", path.join(dir, "none.db")] },
];

describe("exit codes with --json", () => {
  for (const c of cases) {
    it(`exits 2 for ${c.why}, with and without --json`, async () => {
      const [plain, json] = await Promise.all([
        runCli(c.args, { cwd: dir, timeoutMs: 240_000 }),
        runCli([...c.args, "--json"], { cwd: dir, timeoutMs: 240_000 }),
      ]);
      expect(plain.status, plain.stderr).toBe(2);
      expect(json.status, json.stdout + json.stderr).toBe(2);
      const doc = JSON.parse(json.stdout) as { error?: { message?: string; parse?: unknown } };
      expect(doc.error?.message ?? "").not.toBe("");
      // the message, not oclif's parse state (every flag's definition) around it
      expect(doc.error?.parse).toBeUndefined();
    }, 300_000);
  }

  it("reads the code from oclif's field first, then exitCode, else 1", () => {
    expect(exitCodeOf({ oclif: { exit: 2 }, exitCode: 3 })).toBe(2);
    expect(exitCodeOf({ exitCode: 3 })).toBe(3);
    expect(exitCodeOf(new Error("x"))).toBe(1);
    expect(exitCodeOf("text")).toBe(1);
  });
});
