// `specgrid cell run --engine in-process` end to end on the synthetic family, through oclif.
import { runCommand } from "@oclif/test";
import { beforeAll, describe, expect, it } from "vitest";
import type { CellRunResult } from "../../cli/commands/cell/run.js";
import { getModelFamily, type ModelFamily } from "../support/model-family.js";

const cellRun = async (argv: string[]) => runCommand<CellRunResult>(["cell", "run", "--gpu", "cpu", ...argv]);

describe("specgrid cell run (in-process)", () => {
  let family: ModelFamily;
  beforeAll(async () => {
    family = await getModelFamily();
  });

  it("--json prints the speculative metrics with snake_case keys", async () => {
    const { result, error } = await cellRun([
      "--target",
      family.target,
      "--draft",
      family.drafts.get(0.05)!,
      "--k",
      "3",
      "--temperature",
      "0.7",
      "--seed",
      "5",
      "--n-predict",
      "12",
      "--repeats",
      "2",
      "--json",
    ]);
    expect(error).toBeUndefined();
    expect(result!.kind).toBe("speculative");
    expect(result!.backend).toMatch(/node-llama-cpp .* cpu/);
    expect(result!.k).toEqual({ kind: "fixed", k: 3 });
    expect(result!.runs).toHaveLength(2);
    const [a, b] = result!.runs;
    expect(a!.cell_id).not.toBe(b!.cell_id);
    for (const run of result!.runs) {
      expect(run.status).toBe("ok");
      const m = run.metrics!;
      expect(m.n_decoded).toBe(12);
      expect(m.n_drafted).toBeGreaterThan(0);
      expect(m.accept_rate).toBeCloseTo(m.n_accept! / m.n_drafted!, 10);
      expect(m.accept_by_position).toHaveLength(3);
      expect(m.decode_tps).toBeGreaterThan(0);
      expect(m.prompt_tps).toBeGreaterThan(0);
      expect(m.tokens_sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    // Same seed, same cell definition: the repeat generates the same tokens.
    expect(b!.metrics!.tokens_sha256).toBe(a!.metrics!.tokens_sha256);
  });

  it("at temperature 0 a speculative run reproduces the baseline run's tokens", async () => {
    const base = await cellRun(["--target", family.target, "--n-predict", "16", "--json"]);
    const spec = await cellRun([
      "--target",
      family.target,
      "--draft",
      family.drafts.get(0.2)!,
      "--k",
      "adaptive",
      "--n-predict",
      "16",
      "--json",
    ]);
    expect(base.result!.kind).toBe("baseline");
    expect(base.result!.runs[0]!.metrics!.n_drafted).toBeUndefined();
    expect(spec.result!.k?.kind).toBe("adaptive");
    expect(spec.result!.runs[0]!.metrics!.mean_k).toBeGreaterThan(0);
    expect(spec.result!.runs[0]!.metrics!.tokens_sha256).toBe(base.result!.runs[0]!.metrics!.tokens_sha256);
  });

  it("prints a table for people", async () => {
    const { stdout, error } = await cellRun([
      "--target",
      family.target,
      "--concurrency",
      "2",
      "--n-predict",
      "8",
    ]);
    expect(error).toBeUndefined();
    expect(stdout).toMatch(/^parallel cell on node-llama-cpp/m);
    expect(stdout).toMatch(/repeat\s+status\s+decoded\s+decode t\/s/);
    expect(stdout).toMatch(/^0\s+ok\s+16\s/m);
  });

  it.each([
    { name: "a bad --k", argv: ["--k", "0"], message: /--k must be an integer >= 1 or "adaptive", got "0"/ },
    {
      name: "inverted thresholds",
      argv: ["--k", "adaptive", "--raise-above", "0.2", "--lower-below", "0.5"],
      message: /--lower-below < --raise-above/,
    },
    {
      name: "a negative temperature",
      argv: ["--temperature", "-1"],
      message: /--temperature must be a number >= 0/,
    },
  ])("refuses $name with exit 2 before loading anything", async ({ argv, message }) => {
    const { error } = await cellRun(["--target", family.target, "--draft", family.drafts.get(0)!, ...argv]);
    expect(error?.oclif?.exit).toBe(2);
    expect(error?.message).toMatch(message);
  });

  it("refuses a draft whose vocabulary cannot pair, naming both models, with exit 2", async () => {
    const { error } = await cellRun(["--target", family.target, "--draft", family.vocabMismatch]);
    expect(error?.oclif?.exit).toBe(2);
    expect(error?.message).toMatch(/vocab-mismatch\.gguf/);
    expect(error?.message).toMatch(/target\.gguf/);
  });

  it("with --json the refusal is printed as JSON with the exit code", async () => {
    const { stdout } = await cellRun(["--target", family.target, "--draft", family.vocabMismatch, "--json"]);
    const out = JSON.parse(stdout) as { error: { oclif: { exit: number }; message: string } };
    expect(out.error.oclif.exit).toBe(2);
    expect(out.error.message).toMatch(/vocabulary sizes differ by 200/);
  });
});
