// The shipped prompt suite (issue 14 item 5): categories in the manifest, carried by every cell through
// submit and the coordinator's own parse, refused with the valid names when misspelt.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseManifest } from "../../core/manifest/load-manifest.js";
import { controlCharacterIn } from "../../core/manifest/resolve-prompts.js";
import { manifestIssues } from "../support/manifest-issues.js";
import { planSweep } from "../../core/plan/plan-sweep.js";
import { PROMPT_CATEGORIES, PROMPT_SUITES, suitePrompts } from "../../core/prompts/prompt-suites.js";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import { coordinatorPlanning } from "../../services/coordinator/coordinator-planning.js";

const manifest = (prompts: string): string => `name: suite
models:
  big: { file: big.gguf }
  small: { file: small.gguf }
pairs:
  - { target: big, draft: small }
prompts: ${prompts}
sweep:
  k: [2]
  temperature: [0]
`;

describe("the default prompt suite", () => {
  it("has the six task categories, a handful of distinct, clean prompts each", () => {
    const suite = PROMPT_SUITES.default!;
    expect(Object.keys(suite).sort()).toEqual([...PROMPT_CATEGORIES].sort());
    const all = Object.values(suite).flat();
    expect(new Set(all).size).toBe(all.length);
    for (const [category, prompts] of Object.entries(suite)) {
      expect(prompts.length, category).toBeGreaterThanOrEqual(4);
      for (const p of prompts) {
        // LF is allowed in inline prompts (code), nothing else
        expect(controlCharacterIn(p), p).toBeUndefined();
        expect(Buffer.byteLength(p)).toBeLessThan(2048);
      }
    }
  });

  it("selects categories in suite order whatever order the manifest lists them in", () => {
    const picked = suitePrompts("default", ["repetitive", "code"]) ?? [];
    expect([...new Set(picked.map((p) => p.category))]).toEqual(["code", "repetitive"]);
    expect(suitePrompts("nope")).toBeUndefined();
  });
});

describe("prompts: { suite, categories } in a manifest", () => {
  it("resolves to the suite's prompts with their category, and every cell carries it", () => {
    const m = parseManifest(
      manifest("{ suite: default, categories: [code, chat] }"),
      "m.yaml",
      "/nonexistent",
    );
    const expected = suitePrompts("default", ["code", "chat"]) ?? [];
    expect(m.prompts.map((p) => [p.text, p.category, p.source])).toEqual(
      expected.map((p) => [p.text, p.category, "suite:default"]),
    );
    const plan = planSweep(m);
    expect(plan.cells.length).toBe(2 * expected.length);
    for (const c of plan.cells) {
      expect(c.category).toBe(expected.find((p) => p.text === c.prompt)?.category);
    }
  });

  it("without categories takes every category", () => {
    const m = parseManifest(manifest("{ suite: default }"), "m.yaml", "/nonexistent");
    expect(new Set(m.prompts.map((p) => p.category))).toEqual(new Set(PROMPT_CATEGORIES));
  });

  it("a category does not change a cell's id (the prompt's hash does)", () => {
    const text = suitePrompts("default", ["chat"])![0]!.text;
    const tagged = planSweep(
      parseManifest(manifest(`[{ text: ${JSON.stringify(text)}, category: chat }]`), "m.yaml", "/x"),
    );
    const plain = planSweep(parseManifest(manifest(`[${JSON.stringify(text)}]`), "m.yaml", "/x"));
    expect(tagged.cells.map((c) => c.cellId)).toEqual(plain.cells.map((c) => c.cellId));
    expect(tagged.cells.every((c) => c.category === "chat")).toBe(true);
    expect(plain.cells.some((c) => "category" in c)).toBe(false);
  });

  it.each([
    {
      name: "a misspelt category",
      prompts: "{ suite: default, categories: [cod, chat] }",
      issue:
        /prompts\.categories\[0\]: unknown category "cod" \(the suites have code, chat, .*\); did you mean "code"\?/,
    },
    {
      name: "an unknown suite",
      prompts: "{ suite: defualt }",
      issue:
        /prompts\.suite: unknown prompt suite "defualt" \(specgrid ships default\); did you mean "default"\?/,
    },
    {
      name: "a key the suite form does not have",
      prompts: "{ suite: default, category: [code] }",
      issue: /prompts\.category: unknown key "category"/,
    },
  ])("refuses $name", ({ prompts, issue }) => {
    expect(manifestIssues(manifest(prompts))).toEqual(expect.arrayContaining([expect.stringMatching(issue)]));
  });
});

describe("submit keeps the categories", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "specgrid-suite-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the coordinator's parse of the submitted YAML gives the same prompts and categories", async () => {
    const file = path.join(dir, "m.yaml");
    fs.writeFileSync(file, manifest("{ suite: default, categories: [translation, repetitive] }"));
    const request = await manifestForSubmit(file);
    const coordinator = coordinatorPlanning().parseManifest(request.manifestYaml, "m.yaml");
    const expected = suitePrompts("default", ["translation", "repetitive"]) ?? [];
    expect(coordinator.prompts.map((p) => [p.text, p.category])).toEqual(
      expected.map((p) => [p.text, p.category]),
    );
    expect(request.prompts).toEqual(expected.map((p) => p.text));
  });
});
