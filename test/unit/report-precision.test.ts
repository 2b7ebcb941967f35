// The report against sweep.precision: a group whose speedup interval never met rel_ci is unstable, named
// as such, and no verdict or answer rests on it; the same data without the precision key is used.
import { describe, expect, it } from "vitest";
import { analyzeSweep } from "../../cli/report/analyze-sweep.js";
import { speedupNoise } from "../../cli/report/noise-check.js";
import { verdicts } from "../../cli/report/verdict-table.js";
import type { StoredResult } from "../../cli/store/store-records.js";
import { parseManifest } from "../../core/manifest/load-manifest.js";
import { planSweep } from "../../core/plan/plan-sweep.js";

const m = parseManifest(
  JSON.stringify({
    name: "prec",
    models: { t: { file: "t.gguf" }, d: { file: "d.gguf" } },
    pairs: [{ target: "t", draft: "d" }],
    prompts: ["The quick brown fox"],
    sweep: { k: [2], temperature: [0], n_predict: 16, repeats: 4, seed: 5 },
    baseline: true,
    engine: "in-process",
    llama: { gpu_layers: 0, ctx: 256, threads: 1 },
  }),
  "prec.yaml",
  "/tmp",
);

/** Speedups 1.9, 2.1, 1.8, 2.2 over four repeats: clearly paying, ±~15% wide. */
const results: StoredResult[] = planSweep(m).cells.map((cell) => {
  const speedup = [1.9, 2.1, 1.8, 2.2][cell.repeat] ?? 2;
  const decodeTps = cell.kind === "baseline" ? 100 : 100 * speedup;
  return {
    sweepId: "s",
    cellId: cell.cellId,
    hostId: "h",
    shardId: "sh",
    status: "ok",
    attempt: 1,
    engine: "in-process",
    startedAt: "2026-01-01T00:00:00Z",
    finishedAt: "2026-01-01T00:00:01Z",
    cell,
    metrics: {
      nDecoded: 16,
      decodeMs: 16_000 / decodeTps,
      decodeTps,
      wallMs: 200,
      ...(cell.kind === "speculative" ? { nDrafted: 20, nAccept: 15, acceptRate: 0.75 } : {}),
    },
  };
});

describe("report against sweep.precision", () => {
  it("marks a group wider than rel_ci unstable and bases no verdict on it", () => {
    const a = analyzeSweep("s", results, [], { precision: { relCi: 0.05 } });
    const g = a.speculative[0]!;
    expect(g.precision?.met).toBe(false);
    expect(g.precision?.relCi).toBeGreaterThan(0.05);
    expect(speedupNoise(g)).toMatch(
      /never became stable \(±[\d.]+% after 4 usable repeat\(s\), sweep\.precision\.rel_ci asks ±5\.0%\)/,
    );
    expect(verdicts(a).map((v) => v.kind)).not.toContain("enable");
  });

  it("uses the same group when the asked precision is met", () => {
    const a = analyzeSweep("s", results, [], { precision: { relCi: 0.5 } });
    expect(a.speculative[0]!.precision?.met).toBe(true);
    expect(speedupNoise(a.speculative[0]!)).toBeUndefined();
    expect(verdicts(a).map((v) => v.kind)).toContain("enable");
  });
});
