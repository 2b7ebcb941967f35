import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADAPTIVE_K_DEFAULTS } from "../../core/cell.js";
import { ManifestError } from "../../core/errors.js";
import { planSweep } from "../../core/plan/plan-sweep.js";
import { loadManifest, parseManifest } from "../../core/manifest/load-manifest.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures/manifests");
const examples = path.resolve(import.meta.dirname, "../../examples");

const VALID = `name: t
models:
  big: { file: big.gguf }
  small: { file: small.gguf, sha256: "${"ab".repeat(32)}" }
pairs:
  - { target: big, draft: small }
prompts:
  - Hello there
sweep:
  k: [2, 4]
  temperature: [0, 0.7]
`;

function problems(text: string, dir = "/nonexistent"): ManifestError {
  try {
    parseManifest(text, "m.yaml", dir);
  } catch (err) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error("expected a ManifestError");
}

describe("loadManifest: the several-mistakes manifest", () => {
  it("reports every mistake with its YAML path, line and column", async () => {
    const err = await loadManifest(path.join(fixtures, "several-mistakes.yaml")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    const issues = (err as ManifestError).issues;
    const byPath = new Map(issues.map((i) => [i.path, i]));
    // Lines as written in test/fixtures/manifests/several-mistakes.yaml.
    expect(byPath.get("pairs[0].draft")).toMatchObject({
      line: 7,
      message: expect.stringMatching(/unknown model "llama2-7B".*did you mean "llama2-7b"/),
    });
    expect(byPath.get("sweep.k[1]")).toMatchObject({
      line: 9,
      column: 10,
      message: expect.stringMatching(/at least 1/),
    });
    expect(byPath.get("sweep.temprature")).toMatchObject({
      line: 10,
      column: 3,
      message: expect.stringMatching(/did you mean "temperature"/),
    });
    expect(byPath.get("sweep.temperature[1]")).toMatchObject({
      line: 11,
      message: expect.stringMatching(/>= 0/),
    });
    expect(byPath.get("prompts")).toMatchObject({ message: expect.stringMatching(/missing/) });
    expect(issues).toHaveLength(5);
    // The message lists them all as file:line:col.
    expect((err as ManifestError).message).toMatch(/several-mistakes\.yaml:9:10 {2}sweep\.k\[1\]/);
  });
});

describe("parseManifest: one problem per case", () => {
  const cases: { name: string; text: string; path: string; message: RegExp; line?: number }[] = [
    {
      name: "K = 0",
      text: VALID.replace("k: [2, 4]", "k: [0]"),
      path: "sweep.k[0]",
      message: /at least 1/,
      line: 10,
    },
    {
      name: "fractional K",
      text: VALID.replace("k: [2, 4]", "k: [2.5]"),
      path: "sweep.k[0]",
      message: /whole number/,
    },
    {
      name: "negative temperature",
      text: VALID.replace("[0, 0.7]", "[0, -1]"),
      path: "sweep.temperature[1]",
      message: />= 0/,
      line: 11,
    },
    {
      name: "unknown top-level key",
      text: `${VALID}baselin: true\n`,
      path: "baselin",
      message: /did you mean "baseline"/,
      line: 12,
    },
    {
      name: "unknown llama key",
      text: `${VALID}llama: { gpu_layer: 10 }\n`,
      path: "llama.gpu_layer",
      message: /did you mean "gpu_layers"/,
    },
    {
      name: "unknown pair model",
      text: VALID.replace("draft: small", "draft: tiny"),
      path: "pairs[0].draft",
      message: /unknown model "tiny"/,
      line: 6,
    },
    {
      name: "model with neither file nor sha256",
      text: VALID.replace("big: { file: big.gguf }", "big: {}"),
      path: "models.big",
      message: /file .*sha256/,
    },
    {
      name: "model file with folders",
      text: VALID.replace("file: big.gguf", "file: /models/big.gguf"),
      path: "models.big.file",
      message: /not a path/,
    },
    {
      name: "bad sha256",
      text: VALID.replace(`"${"ab".repeat(32)}"`, "abc"),
      path: "models.small.sha256",
      message: /64 hex/,
    },
    {
      name: "missing prompts",
      text: VALID.replace("prompts:\n  - Hello there\n", ""),
      path: "prompts",
      message: /missing/,
    },
    {
      name: "empty prompt list",
      text: VALID.replace("prompts:\n  - Hello there\n", "prompts: []\n"),
      path: "prompts",
      message: /at least one prompt/,
    },
    {
      name: "duplicate K",
      text: VALID.replace("k: [2, 4]", "k: [2, 2]"),
      path: "sweep.k[1]",
      message: /repeats item \[0\]/,
    },
    {
      name: "duplicate prompt",
      text: VALID.replace("  - Hello there\n", "  - Hello there\n  - Hello there\n"),
      path: "prompts[1]",
      message: /repeats the prompt/,
    },
    {
      name: "adaptive K on llama-server",
      text: VALID.replace("k: [2, 4]", "k: [2, adaptive]"),
      path: "sweep.k[1]",
      message: /needs engine: in-process/,
    },
    { name: "bad engine", text: `${VALID}engine: llama-cli\n`, path: "engine", message: /llama-server/ },
    { name: "bad placement", text: `${VALID}placement: everywhere\n`, path: "placement", message: /spread/ },
    {
      name: "repeats 0",
      text: VALID.replace("temperature: [0, 0.7]", "temperature: [0, 0.7]\n  repeats: 0"),
      path: "sweep.repeats",
      message: /at least 1/,
    },
    { name: "YAML syntax", text: "name: [unclosed\n", path: "", message: /YAML/ },
    { name: "not a mapping", text: "- a\n- b\n", path: "", message: /mapping/ },
  ];
  it.each(cases)("$name", ({ text, path: p, message, line }) => {
    const err = problems(text);
    const issue = err.issues.find((i) => i.path === p);
    expect(issue, `issues were: ${err.message}`).toBeDefined();
    expect(issue?.message).toMatch(message);
    if (line !== undefined) expect(issue?.line).toBe(line);
    expect(issue?.line).toBeGreaterThan(0);
  });
});

describe("parseManifest: a valid manifest", () => {
  it("resolves names, defaults and camelCase keys", () => {
    const m = parseManifest(VALID, "m.yaml", "/nonexistent");
    expect(m.sweep).toEqual({
      specType: ["draft-simple"],
      specSettings: {},
      k: [2, 4],
      temperature: [0, 0.7],
      pMin: [0],
      nPredict: 128,
      repeats: 1,
      seed: 42,
    });
    expect(m.models.small?.sha256).toBe("ab".repeat(32));
    expect(m.llama).toEqual({ gpuLayers: 99, ctx: 4096, flashAttn: "auto" });
    expect(m.engine).toBe("llama-server");
    expect(m.placement).toBe("spread");
    expect(m.baseline).toBe(true);
    expect(m.parallel).toBeUndefined();
    expect(m.prompts).toEqual([{ text: "Hello there", source: "inline" }]);
    expect(m.sourceText).toBe(VALID);
  });

  it("maps snake_case keys and fills parallel and adaptive defaults", () => {
    const text =
      VALID.replace("k: [2, 4]", "k: [3, adaptive]\n  p_min: [0.0, 0.5]\n  n_predict: 64") +
      "engine: in-process\nllama: { gpu_layers: 0, ctx: 512, threads: 1, flash_attn: off }\n" +
      "parallel: { concurrency: [1, 2], requests: 4 }\nadaptive: { k_max: 8 }\n";
    const m = parseManifest(text, "m.yaml", "/nonexistent");
    expect(m.sweep.pMin).toEqual([0, 0.5]);
    expect(m.sweep.nPredict).toBe(64);
    expect(m.llama).toEqual({ gpuLayers: 0, ctx: 512, threads: 1, flashAttn: "off" });
    expect(m.parallel).toEqual({
      concurrency: [1, 2],
      requests: 4,
      draft: [false, true],
      k: 3,
      temperature: 0,
    });
    expect(m.adaptive).toEqual({ kMin: 1, kMax: 8, kStart: 4, raiseAbove: 0.8, lowerBelow: 0.4 });
  });

  it("adaptive K without an adaptive: block takes the same defaults as cell run and the planner", async () => {
    const text = VALID.replace("k: [2, 4]", "k: [adaptive]") + "engine: in-process\n";
    const m = parseManifest(text, "m.yaml", "/nonexistent");
    expect(m.adaptive).toEqual(ADAPTIVE_K_DEFAULTS);
    const policies = planSweep(m).cells.flatMap((c) => (c.k === undefined ? [] : [c.k]));
    expect(policies.length).toBeGreaterThan(0);
    for (const k of policies) expect(k).toEqual({ kind: "adaptive", ...ADAPTIVE_K_DEFAULTS });
    // cell run's --k-min/--k-max/... defaults are the same numbers (it had its own --k-max 8)
    const { default: CellRun } = await import("../../cli/commands/cell/run.js");
    const flag = (name: string): unknown =>
      (CellRun.flags as Record<string, { default?: unknown }>)[name]?.default;
    expect([flag("k-min"), flag("k-max"), flag("k-start")]).toEqual([
      ADAPTIVE_K_DEFAULTS.kMin,
      ADAPTIVE_K_DEFAULTS.kMax,
      ADAPTIVE_K_DEFAULTS.kStart,
    ]);
    expect([Number(flag("raise-above")), Number(flag("lower-below"))]).toEqual([
      ADAPTIVE_K_DEFAULTS.raiseAbove,
      ADAPTIVE_K_DEFAULTS.lowerBelow,
    ]);
  });

  it.each(["lab1.yaml", "hardware-compare.yaml", "misaligned.yaml", "demo-cpu.yaml", "ngram-methods.yaml"])(
    "examples/%s loads",
    async (f) => {
      const m = await loadManifest(path.join(examples, f));
      expect(m.prompts.length).toBeGreaterThan(0);
      expect(m.pairs.length).toBeGreaterThan(0);
    },
  );

  it("refuses a grid above maxCells", () => {
    expect(() => parseManifest(VALID, "m.yaml", "/nonexistent", { maxCells: 5 })).toThrow(
      /above the limit of 5/,
    );
  });
});

describe("prompt files", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "specgrid-manifest-"));
    fs.mkdirSync(path.join(dir, "sweep"));
    fs.writeFileSync(path.join(dir, "sweep", "prompts.txt"), "first prompt\n\nsecond prompt\r\n");
    fs.writeFileSync(path.join(dir, "outside.txt"), "secret\n");
    fs.writeFileSync(path.join(dir, "sweep", "empty.txt"), "\n\n");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const withPrompts = (entries: string): string => VALID.replace("  - Hello there\n", entries);

  it("reads one prompt per line, relative to the manifest, skipping blank lines", () => {
    const m = parseManifest(
      withPrompts("  - inline one\n  - { file: prompts.txt }\n"),
      "m.yaml",
      path.join(dir, "sweep"),
    );
    expect(m.prompts).toEqual([
      { text: "inline one", source: "inline" },
      { text: "first prompt", source: "prompts.txt", line: 1 },
      { text: "second prompt", source: "prompts.txt", line: 3 },
    ]);
  });

  it("refuses a prompt file outside the manifest's folder unless allowed", () => {
    const text = withPrompts("  - { file: ../outside.txt }\n");
    const err = problems(text, path.join(dir, "sweep"));
    expect(err.issues[0]).toMatchObject({
      path: "prompts[0].file",
      message: expect.stringMatching(/outside the manifest's folder/),
    });
    const m = parseManifest(text, "m.yaml", path.join(dir, "sweep"), { allowOutsidePrompts: true });
    expect(m.prompts[0]?.text).toBe("secret");
  });

  it("reports a missing and an empty prompt file together", () => {
    const err = problems(
      withPrompts("  - { file: nope.txt }\n  - { file: empty.txt }\n"),
      path.join(dir, "sweep"),
    );
    expect(err.issues.map((i) => i.path)).toEqual(["prompts[0].file", "prompts[1].file"]);
    expect(err.issues[0]?.message).toMatch(/ENOENT/);
    expect(err.issues[1]?.message).toMatch(/no prompts/);
  });

  it("refuses prompts longer than maxPromptBytes", () => {
    const err = (() => {
      try {
        parseManifest(withPrompts("  - a long prompt here\n"), "m.yaml", dir, { maxPromptBytes: 5 });
      } catch (e) {
        return e as ManifestError;
      }
      throw new Error("expected a ManifestError");
    })();
    expect(err.issues[0]?.message).toMatch(/longer than 5 bytes/);
  });
});
