import path from "node:path";
import { describe, expect, it } from "vitest";
import type { CellParams } from "../../core/cell.js";
import { cellLimitProblems, DEFAULT_CELL_LIMITS, validateCellParams } from "../../core/cell-limits.js";
import { RejectedParameterError } from "../../core/errors.js";
import { sha256Hex } from "../../core/ids.js";
import { loadManifest } from "../../core/manifest/load-manifest.js";
import { planSweep } from "../../core/plan/plan-sweep.js";

const SHA = "a".repeat(64);
const PROMPT = "Tell me about the sea.";

function cell(over: Partial<CellParams> = {}): CellParams {
  return {
    kind: "speculative",
    engine: "llama-server",
    target: { name: "t", sha256: SHA },
    draft: { name: "d", sha256: "b".repeat(64) },
    k: { kind: "fixed", k: 4 },
    pMin: 0,
    temperature: 0.7,
    prompt: PROMPT,
    promptHash: sha256Hex(PROMPT),
    promptIndex: 0,
    nPredict: 128,
    seed: 42,
    repeat: 0,
    llama: { gpuLayers: 99, ctx: 4096, flashAttn: "auto" },
    ...over,
  };
}

const huge = "x".repeat(DEFAULT_CELL_LIMITS.promptBytesMax + 1);

describe("validateCellParams", () => {
  it("accepts a well-formed cell", () => {
    expect(cellLimitProblems(cell())).toEqual([]);
    expect(() => validateCellParams(cell())).not.toThrow();
  });

  // Each row: what an attacker (or a buggy coordinator) sends, and the field the refusal must name.
  const refused: [string, Partial<CellParams>, string, RegExp][] = [
    ["K above kMax", { k: { kind: "fixed", k: 10_000 } }, "k", /k = 10000 is outside 1\.\.64.*kMax/],
    ["K = 0", { k: { kind: "fixed", k: 0 } }, "k", /outside 1\.\.64/],
    ["fractional K", { k: { kind: "fixed", k: 2.5 } }, "k", /whole number/],
    ["NaN K", { k: { kind: "fixed", k: Number.NaN } }, "k", /whole number/],
    [
      "adaptive kMax above limit",
      { k: { kind: "adaptive", kMin: 1, kMax: 500, kStart: 4, raiseAbove: 0.8, lowerBelow: 0.4 } },
      "k.kMax",
      /kMax/,
    ],
    ["speculative without K", { k: undefined }, "k", /needs a K/],
    ["n_predict huge", { nPredict: 50_000_000 }, "nPredict", /nPredictMax/],
    ["n_predict zero", { nPredict: 0 }, "nPredict", /outside 1\.\./],
    ["n_predict infinite", { nPredict: Number.POSITIVE_INFINITY }, "nPredict", /whole number/],
    [
      "context huge",
      { llama: { gpuLayers: 99, ctx: 100_000_000, flashAttn: "auto" } },
      "llama.ctx",
      /ctxMax/,
    ],
    ["context tiny", { llama: { gpuLayers: 99, ctx: 8, flashAttn: "auto" } }, "llama.ctx", /outside 64\.\./],
    ["prompt too long", { prompt: huge, promptHash: sha256Hex(huge) }, "prompt", /promptBytesMax/],
    ["empty prompt", { prompt: "", promptHash: sha256Hex("") }, "prompt", /empty/],
    ["prompt hash mismatch", { promptHash: "0".repeat(64) }, "promptHash", /not the sha256/],
    ["temperature negative", { temperature: -1 }, "temperature", /outside 0\.\.10/],
    ["temperature huge", { temperature: 1e9 }, "temperature", /temperatureMax/],
    ["temperature NaN", { temperature: Number.NaN }, "temperature", /finite number/],
    ["temperature Infinity", { temperature: Number.POSITIVE_INFINITY }, "temperature", /finite number/],
    ["p_min above 1", { pMin: 2 }, "pMin", /outside 0\.\.1/],
    ["seed negative (random in llama.cpp)", { seed: -1 }, "seed", /outside 0\.\./],
    ["seed above uint32", { seed: 2 ** 40 }, "seed", /outside 0\.\./],
    ["concurrency huge", { kind: "parallel", concurrency: 100_000 }, "concurrency", /concurrencyMax/],
    ["parallel without concurrency", { kind: "parallel" }, "concurrency", /needs a concurrency/],
    ["requests huge", { requests: 1e9 }, "requests", /requestsMax/],
    [
      "batch huge",
      { llama: { gpuLayers: 99, ctx: 4096, flashAttn: "auto", batch: 1e9 } },
      "llama.batch",
      /batchMax/,
    ],
    ["model file with a path", { target: { name: "t", file: "../../etc/passwd" } }, "target.file", /a path/],
    ["model file absolute", { draft: { name: "d", file: "/etc/shadow" } }, "draft.file", /a path/],
    ["model file '..'", { draft: { name: "d", file: ".." } }, "draft.file", /a path/],
    ["model sha not hex", { target: { name: "t", sha256: "zz" } }, "target.sha256", /sha256/],
    ["model with no name at all", { target: { name: "t" } }, "target", /no sha256 and no file/],
    ["speculative without draft", { draft: undefined }, "draft", /needs a draft/],
    ["unknown engine", { engine: "bash" as CellParams["engine"] }, "engine", /not one of/],
  ];

  it.each(refused)("refuses %s", (_what, over, field, message) => {
    const c = { ...cell(over), cellId: "c-1" };
    const problems = cellLimitProblems(c);
    expect(problems.map((p) => p.field)).toContain(field);
    let thrown: unknown;
    try {
      validateCellParams(c);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RejectedParameterError);
    const err = thrown as RejectedParameterError;
    expect(err.code).toBe("PARAMETER_REJECTED");
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/^cell c-1 refused by this agent: /);
    expect(err.message).toMatch(message);
    expect(err.details.cellId).toBe("c-1");
  });

  it("lists every problem of a cell at once", () => {
    const problems = cellLimitProblems(cell({ nPredict: 0, temperature: -1, pMin: 5 }));
    expect(problems.map((p) => p.field)).toEqual(["pMin", "temperature", "nPredict"]);
  });

  it("applies the agent's own limits over the defaults", () => {
    expect(cellLimitProblems(cell({ k: { kind: "fixed", k: 16 } }), { kMax: 8 })[0]?.message).toMatch(
      /k = 16 is outside 1\.\.8/,
    );
    expect(cellLimitProblems(cell({ temperature: 20 }), { temperatureMax: 50 })).toEqual([]);
  });

  it("accepts every cell the example manifests plan (the defaults never refuse a valid sweep)", async () => {
    const examples = path.resolve(import.meta.dirname, "../../examples");
    let checked = 0;
    for (const file of ["lab1.yaml", "hardware-compare.yaml", "misaligned.yaml", "demo-cpu.yaml"]) {
      const plan = planSweep(await loadManifest(path.join(examples, file)));
      for (const c of plan.cells) expect(cellLimitProblems(c), `${file} ${c.cellId}`).toEqual([]);
      checked += plan.cells.length;
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe("cellLimitProblems with unset limits", () => {
  it("an undefined limit keeps its default instead of switching the check off", () => {
    const huge = cell({ k: { kind: "fixed", k: DEFAULT_CELL_LIMITS.kMax + 1 } });
    expect(
      cellLimitProblems(huge, { kMax: undefined, nPredictMax: undefined }).map((p) => p.field),
    ).toContain("k");
    expect(cellLimitProblems(cell(), { kMax: undefined })).toEqual([]);
  });
});
