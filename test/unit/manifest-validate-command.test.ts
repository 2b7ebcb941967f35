import path from "node:path";
import { runCommand } from "@oclif/test";
import { describe, expect, it } from "vitest";
import type { ValidateResult } from "../../cli/commands/validate.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures/manifests");
const examples = path.resolve(import.meta.dirname, "../../examples");

describe("specgrid validate", () => {
  it.each(["lab1.yaml", "hardware-compare.yaml", "misaligned.yaml", "demo-cpu.yaml", "ngram-methods.yaml"])(
    "accepts examples/%s with a summary",
    async (file) => {
      const { stdout, error } = await runCommand(["validate", path.join(examples, file)]);
      expect(error).toBeUndefined();
      expect(stdout).toMatch(
        /valid\. .*: \d+ cells \(\d+ speculative, \d+ baseline, \d+ parallel\) in \d+ shards/,
      );
    },
  );

  it("--json returns the counts and warnings", async () => {
    const { stdout, error } = await runCommand(["validate", path.join(examples, "lab1.yaml"), "--json"]);
    expect(error).toBeUndefined();
    const r = JSON.parse(stdout) as ValidateResult;
    expect(r.valid).toBe(true);
    expect(r.name).toBe("lab1-llama2-13b");
    expect(r.counts.total).toBe(r.counts.baseline + r.counts.speculative + r.counts.parallel);
  });

  it("exits 2 and reports every mistake with path:line:col", async () => {
    const file = path.join(fixtures, "several-mistakes.yaml");
    const { error } = await runCommand(["validate", file]);
    expect(error?.oclif?.exit).toBe(2);
    const lines = (error?.message ?? "").split("\n").slice(1);
    expect(lines).toHaveLength(5);
    for (const [p, line] of [
      ["pairs[0].draft", 7],
      ["sweep.k[1]", 9],
      ["sweep.temprature", 10],
      ["sweep.temperature[1]", 11],
      ["prompts", 2],
    ] as const) {
      expect(lines.some((l) => l.includes(`several-mistakes.yaml:${line}:`) && l.includes(` ${p}: `))).toBe(
        true,
      );
    }
  });

  it("exits 2 for a manifest that does not exist", async () => {
    const { error } = await runCommand(["validate", path.join(fixtures, "nope.yaml")]);
    expect(error?.oclif?.exit).toBe(2);
    expect(error?.message).toMatch(/cannot read the manifest \(ENOENT\)/);
  });
});

describe("manifest limit flags", () => {
  it("validate refuses a grid above --max-cells, naming the flag, and accepts it when raised", async () => {
    const file = path.resolve(import.meta.dirname, "../../examples/lab1.yaml");
    const refused = await runCommand(["validate", file, "--max-cells", "10"]);
    expect(refused.error?.oclif?.exit).toBe(2);
    expect(refused.error?.message).toMatch(/above the limit of 10.*--max-cells/s);
    const accepted = await runCommand(["validate", file, "--max-cells", "100000"]);
    expect(accepted.error).toBeUndefined();
  });
});
