// Tree drafting as sweep dimensions (issue 14 item 3): n_parallel and p_split in the manifest, checked
// against the engine, planned as speculative configurations of their own with their own baselines.
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../core/manifest/load-manifest.js";
import { manifestIssues } from "../support/manifest-issues.js";
import { planSweep, precisionGroupKey } from "../../core/plan/plan-sweep.js";

const manifest = (sweepExtra: string, engine = "llama-speculative"): string => `name: tree
engine: ${engine}
models:
  big: { file: big.gguf }
  small: { file: small.gguf }
pairs:
  - { target: big, draft: small }
prompts:
  - Hello there
  - Once upon a time
sweep:
  k: [4]
  temperature: [0]
  repeats: 2
${sweepExtra}`;

describe("tree drafting in the manifest", () => {
  it("n_parallel 1 is planned once, every n_parallel above 1 once per p_split, each with its own baseline", () => {
    const m = parseManifest(
      manifest("  n_parallel: [1, 2, 4]\n  p_split: [0.1, 0.3]\n"),
      "m.yaml",
      "/nonexistent",
    );
    expect(m.sweep.tree).toEqual({ nParallel: [1, 2, 4], pSplit: [0.1, 0.3] });
    const plan = planSweep(m);
    const spec = plan.cells.filter((c) => c.kind === "speculative");
    // (1) + (2 × 2 p_split) + (4 × 2 p_split) = 5 configurations × 2 prompts × 2 repeats
    expect(spec).toHaveLength(5 * 2 * 2);
    const configs = new Set(spec.map((c) => `${c.nParallel}/${c.pSplit ?? "-"}`));
    expect([...configs].sort()).toEqual(["1/-", "2/0.1", "2/0.3", "4/0.1", "4/0.3"]);
    expect(plan.counts.baseline).toBe(spec.length);
    // baselines are target-only runs: no tree settings on them
    for (const b of plan.cells.filter((c) => c.kind === "baseline")) {
      expect(b.nParallel).toBeUndefined();
      expect(b.pSplit).toBeUndefined();
    }
    expect(new Set(plan.cells.map((c) => c.cellId)).size).toBe(plan.cells.length);
  });

  it("only n_parallel listed: branches split at llama.cpp's default 0.1, passed explicitly", () => {
    const m = parseManifest(manifest("  n_parallel: [2]\n"), "m.yaml", "/nonexistent");
    const spec = planSweep(m).cells.filter((c) => c.kind === "speculative");
    expect(spec.map((c) => [c.nParallel, c.pSplit])).toEqual(spec.map(() => [2, 0.1]));
  });

  it("a manifest without tree keys plans the cells (and ids) it planned before", () => {
    const before = planSweep(parseManifest(manifest(""), "m.yaml", "/nonexistent"));
    for (const c of before.cells) expect("nParallel" in c || "pSplit" in c).toBe(false);
    // n_parallel: [1] is a real setting (-np 1 passed), so it is a different run
    const np1 = planSweep(parseManifest(manifest("  n_parallel: [1]\n"), "m.yaml", "/nonexistent"));
    const ids = new Set(before.cells.filter((c) => c.kind === "speculative").map((c) => c.cellId));
    for (const c of np1.cells.filter((c) => c.kind === "speculative")) expect(ids.has(c.cellId)).toBe(false);
  });

  it("tree configurations are adaptive-repeat groups of their own", () => {
    const m = parseManifest(manifest("  n_parallel: [1, 2]\n"), "m.yaml", "/nonexistent");
    const spec = planSweep(m).cells.filter((c) => c.kind === "speculative");
    expect(new Set(spec.map(precisionGroupKey)).size).toBe(2);
  });

  it.each([
    {
      name: "n_parallel on another engine",
      text: manifest("  n_parallel: [1, 2]\n", "llama-server"),
      issue: /sweep\.n_parallel: tree drafting .* engine: llama-speculative only \(engine llama-server/,
    },
    {
      name: "p_split without a tree",
      text: manifest("  n_parallel: [1]\n  p_split: [0.2]\n"),
      issue: /sweep\.p_split: has no effect without a draft tree/,
    },
    {
      name: "a repeated n_parallel",
      text: manifest("  n_parallel: [2, 2]\n"),
      issue: /sweep\.n_parallel\[1\]: 2 repeats item \[0\]/,
    },
    {
      name: "p_split above 1",
      text: manifest("  n_parallel: [2]\n  p_split: [1.5]\n"),
      issue: /sweep\.p_split\[0\]: must be between 0 and 1/,
    },
  ])("refuses $name, naming the key", ({ text, issue }) => {
    expect(manifestIssues(text)).toEqual(expect.arrayContaining([expect.stringMatching(issue)]));
  });
});
