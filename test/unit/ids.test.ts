import { describe, expect, it } from "vitest";
import type { CellParams } from "../../core/cell.js";
import {
  canonicalJson,
  cellIdOf,
  cellIdentityJson,
  modelIdentity,
  sha256Hex,
  shardIdOf,
} from "../../core/ids.js";

const base: CellParams = {
  kind: "speculative",
  engine: "llama-server",
  target: { name: "big", file: "big.gguf" },
  draft: { name: "small", file: "small.gguf" },
  k: { kind: "fixed", k: 4 },
  pMin: 0,
  temperature: 0.7,
  prompt: "Hello",
  promptHash: sha256Hex("Hello"),
  promptIndex: 0,
  nPredict: 64,
  seed: 42,
  repeat: 0,
  llama: { gpuLayers: 99, ctx: 4096, flashAttn: "auto" },
};

describe("canonicalJson", () => {
  it.each([
    {
      value: { b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } },
      text: '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    },
    { value: { a: undefined, b: null }, text: '{"b":null}' },
    { value: [undefined, 1], text: "[null,1]" },
    { value: -0, text: "0" },
    { value: 0.1 + 0.2, text: "0.30000000000000004" },
    { value: 1e21, text: "1e+21" },
    { value: "é\n", text: '"é\\n"' },
  ])("$text", ({ value, text }) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it("refuses values without a canonical form", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/canonical/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
  });
});

describe("sha256Hex", () => {
  it("matches the FIPS 180-2 test vector", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex(Buffer.from("abc"))).toBe(sha256Hex("abc"));
  });
});

describe("cellIdOf", () => {
  it("is stable and independent of key order", () => {
    const reordered = Object.fromEntries(Object.entries(base).reverse()) as unknown as CellParams;
    expect(cellIdOf(reordered)).toBe(cellIdOf(base));
    expect(cellIdOf(base)).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each<[string, Partial<CellParams>]>([
    ["the manifest's alias for a model", { target: { name: "renamed", file: "big.gguf" } }],
    ["the prompt's position in the list", { promptIndex: 3 }],
  ])("ignores %s", (_what, change) => {
    expect(cellIdOf({ ...base, ...change })).toBe(cellIdOf(base));
  });

  it.each<[string, Partial<CellParams>]>([
    ["K", { k: { kind: "fixed", k: 5 } }],
    ["p_min", { pMin: 0.1 }],
    ["temperature", { temperature: 0.8 }],
    ["the prompt hash", { promptHash: sha256Hex("Bye") }],
    ["n_predict", { nPredict: 65 }],
    ["the seed", { seed: 43 }],
    ["the repeat", { repeat: 1 }],
    ["the engine", { engine: "llama-speculative" }],
    ["the kind", { kind: "parallel", concurrency: 2, requests: 4 }],
    ["the target file", { target: { name: "big", file: "big2.gguf" } }],
    ["a pinned sha256", { draft: { name: "small", file: "small.gguf", sha256: "a".repeat(64) } }],
    ["llama settings", { llama: { gpuLayers: 0, ctx: 4096, flashAttn: "auto" } }],
    ["the speculative run a baseline is paired with", { pairedWith: "cd".repeat(16) }],
  ])("changes with %s", (_what, change) => {
    expect(cellIdOf({ ...base, ...change })).not.toBe(cellIdOf(base));
  });

  it("names models by sha256 when pinned, so a renamed file keeps the id", () => {
    const pinned = { name: "small", file: "small.gguf", sha256: "A".repeat(64) };
    const a = cellIdOf({ ...base, draft: pinned });
    const b = cellIdOf({ ...base, draft: { ...pinned, file: "other-name.gguf" } });
    expect(a).toBe(b);
    expect(modelIdentity(pinned)).toBe(`sha256:${"a".repeat(64)}`);
    expect(modelIdentity({ name: "x", file: "x.gguf" })).toBe("file:x.gguf");
  });
});

describe("cellIdentityJson", () => {
  const generic = (p: CellParams): string =>
    canonicalJson({
      v: 1,
      kind: p.kind,
      engine: p.engine,
      target: modelIdentity(p.target),
      draft: p.draft === undefined ? undefined : modelIdentity(p.draft),
      k: p.k,
      pMin: p.pMin,
      nParallel: p.nParallel,
      pSplit: p.pSplit,
      bench: p.bench,
      pairedWith: p.pairedWith,
      temperature: p.temperature,
      promptHash: p.promptHash,
      nPredict: p.nPredict,
      seed: p.seed,
      repeat: p.repeat,
      concurrency: p.concurrency,
      requests: p.requests,
      llama: p.llama,
      specType: p.specType === "draft-simple" ? undefined : p.specType,
      specSettings:
        p.specSettings === undefined || Object.keys(p.specSettings).length === 0 ? undefined : p.specSettings,
    });

  it.each<[string, CellParams]>([
    ["speculative", base],
    ["baseline", { ...base, kind: "baseline", draft: undefined, k: undefined, pMin: undefined }],
    ["parallel", { ...base, kind: "parallel", concurrency: 4, requests: 16 }],
    ["tree-drafting", { ...base, engine: "llama-speculative", nParallel: 4, pSplit: 0.25 }],
    [
      "llama-bench",
      {
        ...base,
        kind: "bench",
        engine: "llama-bench",
        draft: undefined,
        k: undefined,
        pMin: undefined,
        bench: { repetitions: 3, nPrompt: 64 },
      },
    ],
    [
      "baseline paired with a speculative run",
      {
        ...base,
        kind: "baseline",
        draft: undefined,
        k: undefined,
        pMin: undefined,
        pairedWith: "ab".repeat(16),
      },
    ],
    [
      "adaptive K, pinned models, every llama setting",
      {
        ...base,
        target: { name: "t", sha256: "C".repeat(64) },
        k: { kind: "adaptive", kMin: 1, kMax: 8, kStart: 4, raiseAbove: 0.8, lowerBelow: 0.4 },
        llama: { gpuLayers: 0, ctx: 512, threads: 1, flashAttn: "off", batch: 64 },
        temperature: -0,
      },
    ],
    [
      "draftless n-gram cell with settings",
      {
        ...base,
        draft: undefined,
        k: undefined,
        pMin: undefined,
        specType: "ngram-mod",
        specSettings: { "ngram-mod-n-min": 48, "ngram-mod-n-match": 24 },
      },
    ],
  ])("spells the generic canonical form of a %s cell", (_what, params) => {
    expect(cellIdentityJson(params)).toBe(generic(params));
  });

  it("keeps the ids of draft-simple cells planned before spec_type existed, and tells types apart", () => {
    expect(cellIdOf({ ...base, specType: "draft-simple" })).toBe(cellIdOf(base));
    expect(cellIdOf({ ...base, specType: "draft-eagle3" })).not.toBe(cellIdOf(base));
    const ngram: CellParams = { ...base, draft: undefined, k: undefined, specType: "ngram-mod" };
    expect(cellIdOf({ ...ngram, specSettings: { "ngram-mod-n-match": 16 } })).not.toBe(
      cellIdOf({ ...ngram, specSettings: { "ngram-mod-n-match": 24 } }),
    );
  });
});

describe("shardIdOf", () => {
  it("depends on the key and the ordered cells", () => {
    const key = { engine: "in-process" as const, target: base.target, llama: base.llama };
    expect(shardIdOf(key, ["a", "b"])).toBe(shardIdOf({ ...key }, ["a", "b"]));
    expect(shardIdOf(key, ["a", "b"])).not.toBe(shardIdOf(key, ["b", "a"]));
    expect(shardIdOf(key, ["a"])).not.toBe(shardIdOf({ ...key, draft: base.draft }, ["a"]));
  });
});
