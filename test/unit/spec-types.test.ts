// spec_type as a sweep dimension: the manifest's checks, the planner's lanes (draftless types once per
// target, without a draft), server configurations per type and the argv in the build's own spellings.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildServerArgv, serverConfigFor } from "../../agents/engines/llama-server/server-config.js";
import { parseLlamaHelp } from "../../agents/probe/parse-llama-help.js";
import { toolCapabilities } from "../../agents/probe/tool-capabilities.js";
import { methodOf, pairLabel, type Cell } from "../../core/cell.js";
import { RejectedParameterError, ManifestError } from "../../core/errors.js";
import { parseManifest } from "../../core/manifest/load-manifest.js";
import { planSweep } from "../../core/plan/plan-sweep.js";
import { serverKeyOf } from "../../core/plan/server-blocks.js";
import { missingHeads, specLabel } from "../../core/spec-types.js";
import { REPLAY_FIXTURES } from "../support/replay-llama.js";

function manifest(sweep: Record<string, unknown>, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    name: "spec",
    models: { t: { file: "t.gguf" }, d: { file: "d.gguf" }, d2: { file: "d2.gguf" } },
    pairs: [
      { target: "t", draft: "d" },
      { target: "t", draft: "d2" },
    ],
    prompts: ["a b a b a b"],
    sweep: { k: [2, 4], temperature: [0], n_predict: 16, ...sweep },
    engine: "llama-server",
    ...over,
  });
}

function issues(text: string): Array<{ path: string; message: string }> {
  try {
    parseManifest(text, "m.yaml", "/nonexistent");
  } catch (err) {
    if (err instanceof ManifestError) return err.issues;
    throw err;
  }
  throw new Error("expected a ManifestError");
}

describe("manifest sweep.spec_type and spec_settings", () => {
  it("defaults to [draft-simple] and keeps a combined value as llama.cpp takes it", () => {
    expect(parseManifest(manifest({}), "m.yaml", "/x").sweep.specType).toEqual(["draft-simple"]);
    const m = parseManifest(
      manifest({
        spec_type: ["ngram-mod, draft-simple"],
        spec_settings: { "ngram-mod": { "n-match": [16] } },
      }),
      "m.yaml",
      "/x",
    );
    expect(m.sweep.specType).toEqual(["ngram-mod,draft-simple"]);
    expect(m.sweep.specSettings).toEqual({ "ngram-mod": { "n-match": [16] } });
  });

  it.each([
    [{ spec_type: ["ngram-fast"] }, "sweep.spec_type[0]", /one of draft-simple, .*ngram-cache/],
    [{ spec_type: ["ngram-mod", "ngram-mod"] }, "sweep.spec_type[1]", /repeats item \[0\]/],
    [
      { spec_type: ["ngram-mod"], spec_settings: { "ngram-mod": { "n-mach": [16] } } },
      "sweep.spec_settings.ngram-mod.n-mach",
      /did you mean "n-match".*--spec-ngram-mod-n-match/,
    ],
    [
      { spec_type: ["ngram-mod"], spec_settings: { "ngram-simple": { "size-n": [2] } } },
      "sweep.spec_settings.ngram-simple",
      /has no effect: sweep.spec_type does not list ngram-simple/,
    ],
    [
      { spec_type: ["ngram-mod"], spec_settings: { ngram_mod: { "n-match": [2] } } },
      "sweep.spec_settings.ngram_mod",
      /unknown speculation type "ngram_mod"; did you mean "ngram-mod"/,
    ],
  ])("refuses %j at %s", (sweep, at, message) => {
    const found = issues(manifest(sweep)).find((i) => i.path === at);
    expect(found?.message).toMatch(message);
  });

  it("refuses a type the manifest's engine cannot run, naming the engine", () => {
    const found = issues(manifest({ spec_type: ["ngram-simple"] }, { engine: "in-process" }));
    expect(found.map((i) => i.message)).toContainEqual(
      expect.stringMatching(
        /engine in-process cannot run spec_type ngram-simple.*use engine: llama-server or llama-speculative-simple/,
      ),
    );
  });
});

describe("planSweep over spec types", () => {
  const plan = planSweep(
    parseManifest(
      manifest({
        spec_type: ["draft-simple", "ngram-mod", "ngram-simple"],
        spec_settings: { "ngram-mod": { "n-match": [16, 24] } },
      }),
      "m.yaml",
      "/x",
    ),
  );
  const spec = plan.cells.filter((c) => c.kind === "speculative");

  it("draft types per pair and K; n-gram types once per target, without a draft or K, one cell per setting", () => {
    const byMethod = new Map<string, Cell[]>();
    for (const c of spec) byMethod.set(methodOf(c)!, [...(byMethod.get(methodOf(c)!) ?? []), c]);
    expect([...byMethod.keys()].sort()).toEqual([
      "draft-simple",
      "ngram-mod n-match=16",
      "ngram-mod n-match=24",
      "ngram-simple",
    ]);
    // two pairs × two K
    expect(byMethod.get("draft-simple")).toHaveLength(4);
    // the one target, not once per pair
    for (const m of ["ngram-mod n-match=16", "ngram-mod n-match=24", "ngram-simple"]) {
      const cells = byMethod.get(m)!;
      expect(cells).toHaveLength(1);
      expect(cells[0]!.draft).toBeUndefined();
      expect(cells[0]!.k).toBeUndefined();
      expect(cells[0]!.pMin).toBeUndefined();
    }
    expect(plan.counts).toMatchObject({ speculative: 7, baseline: 7 });
    // every speculative run has its own baseline, ABAB
    for (const s of spec) expect(plan.cells.filter((c) => c.pairedWith === s.cellId)).toHaveLength(1);
  });

  it("draftless cells run in a shard keyed without a draft, one server per method and setting", () => {
    const draftless = plan.shards.filter((s) => s.key.draft === undefined);
    expect(draftless).toHaveLength(1);
    const keys = new Set(draftless[0]!.cells.map((c) => serverKeyOf(c)));
    expect([...keys].sort()).toEqual([
      "base/np1",
      'spec/ngram-mod/{"ngram-mod-n-match":16}/np1',
      'spec/ngram-mod/{"ngram-mod-n-match":24}/np1',
      "spec/ngram-simple/np1",
    ]);
  });

  it("draft-simple cells keep the ids a manifest without spec_type gives them", () => {
    const before = planSweep(parseManifest(manifest({}), "m.yaml", "/x"));
    const ids = (cells: readonly Cell[]) =>
      cells.filter((c) => c.kind === "speculative" && methodOf(c) === "draft-simple").map((c) => c.cellId);
    expect(ids(plan.cells).sort()).toEqual(ids(before.cells).sort());
  });

  it("labels pairs by method so report tables tell them apart", () => {
    expect(pairLabel("t", "d", "draft-simple")).toBe("t+d");
    expect(pairLabel("t", undefined, specLabel("ngram-mod", { "ngram-mod-n-match": 24 }))).toBe(
      "t [ngram-mod n-match=24]",
    );
  });
});

describe("pairs without a draft: draftless types planned per target", () => {
  // two targets, one with a draft; the n-gram types need neither a draft nor K
  const draftless = (sweep: Record<string, unknown>, over: Record<string, unknown> = {}): string =>
    JSON.stringify({
      name: "draftless",
      models: { t: { file: "t.gguf" }, u: { file: "u.gguf" }, d: { file: "d.gguf" } },
      pairs: [{ target: "t" }, { target: "u" }],
      prompts: ["a b a b a b", "c d c d"],
      sweep: { temperature: [0], n_predict: 16, ...sweep },
      engine: "llama-server",
      ...over,
    });

  it("n-gram types on pairs without a draft and without k: one lane per target, no draft, no K", () => {
    const m = parseManifest(
      draftless({
        spec_type: ["ngram-mod", "ngram-simple"],
        spec_settings: { "ngram-mod": { "n-match": [8, 16] } },
      }),
      "m.yaml",
      "/x",
    );
    expect(m.pairs).toEqual([{ target: "t" }, { target: "u" }]);
    expect(m.sweep.k).toEqual([]);
    const plan = planSweep(m);
    const spec = plan.cells.filter((c) => c.kind === "speculative");
    // 2 targets × (2 ngram-mod settings + ngram-simple) × 2 prompts
    expect(spec).toHaveLength(12);
    expect(plan.counts).toMatchObject({ speculative: 12, baseline: 12 });
    for (const c of spec) {
      expect(c.draft).toBeUndefined();
      expect(c.k).toBeUndefined();
    }
    expect(new Set(spec.map((c) => c.target.name))).toEqual(new Set(["t", "u"]));
    expect(plan.shards.every((s) => s.key.draft === undefined)).toBe(true);
  });

  it("mixes with draft-simple where every pair has a draft; the drafts stay unloaded without it", () => {
    const mixed = planSweep(
      parseManifest(
        draftless(
          { spec_type: ["draft-simple", "ngram-mod"], k: [4] },
          { pairs: [{ target: "t", draft: "d" }] },
        ),
        "m.yaml",
        "/x",
      ),
    );
    const methods = mixed.cells.filter((c) => c.kind === "speculative").map((c) => methodOf(c));
    expect(methods.sort()).toEqual(["draft-simple", "draft-simple", "ngram-mod", "ngram-mod"]);
    const idle = planSweep(
      parseManifest(
        draftless({ spec_type: ["ngram-mod"] }, { pairs: [{ target: "t", draft: "d" }] }),
        "m.yaml",
        "/x",
      ),
    );
    expect(idle.warnings).toContainEqual(expect.stringMatching(/drafts d are never loaded/));
  });

  it.each([
    [
      "draft-simple on a pair without a draft",
      { spec_type: ["draft-simple", "ngram-mod"], k: [4] },
      {},
      "pairs[1]",
      /pairs\[1\] \(target "u"\) has no draft, and sweep.spec_type lists draft-simple, which drafts with a draft model: add draft: <model> to the pair, or list only draftless types \(draft-mtp, ngram-simple/,
    ],
    [
      "the default spec_type on a pair without a draft",
      { k: [4] },
      {},
      "pairs[0]",
      /sweep.spec_type \(default \[draft-simple\]\) lists draft-simple/,
    ],
    [
      "a combined value with a draft part",
      { spec_type: ["ngram-mod,draft-simple"], k: [4] },
      {},
      "pairs[0]",
      /lists ngram-mod,draft-simple, which drafts with a draft model/,
    ],
    [
      "parallel cells with the draft of a pair without one",
      { spec_type: ["ngram-mod"] },
      { parallel: { concurrency: [2], requests: 2, k: 2 } },
      "pairs[0]",
      /has no draft, and parallel.draft \(default \[false, true\]\) asks for parallel cells with the pair's draft: set parallel.draft: \[false\]/,
    ],
    [
      "no k with a type that drafts K",
      { spec_type: ["ngram-mod", "draft-mtp"] },
      {},
      "sweep.k",
      /required key is missing: sweep.spec_type lists draft-mtp, which drafts K tokens per step/,
    ],
  ])("refuses %s", (_name, sweep, over, at, message) => {
    const found = issues(draftless(sweep, over)).filter((i) => i.path === at);
    expect(found.map((i) => i.message)).toContainEqual(expect.stringMatching(message));
  });

  it("parallel cells without a draft run on a pair without one", () => {
    const plan = planSweep(
      parseManifest(
        draftless(
          { spec_type: ["ngram-mod"] },
          { parallel: { concurrency: [2], requests: 2, draft: [false] } },
        ),
        "m.yaml",
        "/x",
      ),
    );
    const parallel = plan.cells.filter((c) => c.kind === "parallel");
    expect(parallel.map((c) => c.target.name).sort()).toEqual(["t", "u"]);
    expect(parallel.every((c) => c.draft === undefined)).toBe(true);
  });
});

describe("llama-server argv per spec type (spellings from the build's --help)", () => {
  const help = (file: string) => parseLlamaHelp(readFileSync(path.join(REPLAY_FIXTURES, file), "utf8"));
  const current = help("llama-server-help.txt");
  const caps = toolCapabilities("llama-server", current);
  const models = { targetPath: "/m/t.gguf", draftPath: "/m/d.gguf" };
  const llama = { gpuLayers: 0, ctx: 512, flashAttn: "auto" as const, threads: 1 };
  const cell = (over: Partial<Cell>): Cell => ({
    cellId: "c",
    kind: "speculative",
    engine: "llama-server",
    target: { name: "t" },
    temperature: 0,
    prompt: "p",
    promptHash: "h",
    promptIndex: 0,
    nPredict: 8,
    seed: 1,
    repeat: 0,
    llama,
    ...over,
  });
  const after = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

  it("the probe's capability map lists the build's types", () => {
    expect(caps.specTypes).toEqual([
      "draft-simple",
      "draft-eagle3",
      "draft-mtp",
      "draft-dflash",
      "draft-dspark",
      "ngram-simple",
      "ngram-map-k",
      "ngram-map-k4v",
      "ngram-mod",
      "ngram-cache",
    ]);
  });

  it("ngram-mod: no draft model and no K, its settings as --spec-ngram-mod-*", () => {
    const cfg = serverConfigFor(
      cell({ specType: "ngram-mod", specSettings: { "ngram-mod-n-match": 16, "ngram-mod-n-min": 4 } }),
      llama,
    );
    const argv = buildServerArgv("/b/llama-server", caps, current.accepted, cfg, models, 1);
    expect(after(argv, "--spec-type")).toBe("ngram-mod");
    expect(after(argv, "--spec-ngram-mod-n-match")).toBe("16");
    expect(after(argv, "--spec-ngram-mod-n-min")).toBe("4");
    expect(argv).not.toContain("--spec-draft-model");
    expect(argv).not.toContain("--spec-draft-n-max");
  });

  it("draft-mtp drafts K from the target's own heads: K flags, no draft model", () => {
    const cfg = serverConfigFor(cell({ specType: "draft-mtp", k: { kind: "fixed", k: 3 }, pMin: 0 }), llama);
    const argv = buildServerArgv("/b/llama-server", caps, current.accepted, cfg, models, 1);
    expect(after(argv, "--spec-type")).toBe("draft-mtp");
    expect(after(argv, "--spec-draft-n-max")).toBe("3");
    expect(argv).not.toContain("--spec-draft-model");
  });

  it("a type the build does not list is a rejected parameter naming it", () => {
    const old = help("old-build/common-help.txt");
    const oldCaps = toolCapabilities("llama-server", old);
    const cfg = serverConfigFor(cell({ specType: "draft-mtp", k: { kind: "fixed", k: 3 }, pMin: 0 }), llama);
    expect(() => buildServerArgv("/b/s", oldCaps, old.accepted, cfg, models, 1)).toThrow(
      /does not support --spec-type draft-mtp/,
    );
    expect(() => buildServerArgv("/b/s", oldCaps, old.accepted, cfg, models, 1)).toThrow(
      RejectedParameterError,
    );
  });

  it("a setting the build has no flag for is a rejected parameter naming the flag", () => {
    const cfg = serverConfigFor(
      cell({ specType: "ngram-mod", specSettings: { "ngram-mod-n-foo": 1 } }),
      llama,
    );
    expect(() => buildServerArgv("/b/s", caps, current.accepted, cfg, models, 1)).toThrow(
      /no --spec-ngram-mod-n-foo/,
    );
  });
});

describe("missingHeads: GGUF metadata a head type needs", () => {
  const none = { nextnTensors: false, markovHead: false };
  const plain = { architecture: "llama", heads: none };
  it.each([
    ["draft-mtp", plain, /no llama.nextn_predict_layers metadata/],
    ["draft-mtp", { ...plain, heads: { ...none, nextnPredictLayers: 1 } }, /no blk.N.nextn.eh_proj tensor/],
    ["draft-eagle3", plain, /general.architecture is llama, not eagle3/],
    ["draft-dflash", plain, /not dflash/],
    ["draft-dspark", { ...plain, architecture: "dflash" }, /no markov_w1.weight/],
  ] as const)("%s refuses %j", (type, facts, message) => {
    expect(missingHeads(type, facts)).toMatch(message);
  });
  it("accepts models that carry the heads", () => {
    const mtp = { ...plain, heads: { nextnPredictLayers: 1, nextnTensors: true, markovHead: false } };
    expect(missingHeads("draft-mtp", mtp)).toBeUndefined();
    expect(missingHeads("draft-eagle3", { ...plain, architecture: "eagle3" })).toBeUndefined();
    const dspark = { architecture: "dflash", heads: { ...none, markovHead: true } };
    expect(missingHeads("draft-dspark", dspark)).toBeUndefined();
    expect(missingHeads("draft-simple", plain)).toBeUndefined();
  });
});
