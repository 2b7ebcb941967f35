// Adaptive repeats: which groups get another repeat, at which index, and which are left unstable.
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../core/manifest/load-manifest.js";
import { planRepeats, planSweep, precisionGroupKey } from "../../core/plan/plan-sweep.js";
import { precisionRound, type PrecisionInput } from "../../core/plan/precision-round.js";

function manifest(precision: Record<string, number> | undefined, repeats = 3) {
  return parseManifest(
    JSON.stringify({
      name: "prec",
      models: { t: { file: "t.gguf" }, d: { file: "d.gguf" } },
      pairs: [{ target: "t", draft: "d" }],
      prompts: ["The quick brown fox"],
      sweep: {
        k: [2, 4],
        temperature: [0],
        n_predict: 16,
        repeats,
        seed: 5,
        ...(precision ? { precision } : {}),
      },
      baseline: true,
      engine: "in-process",
      llama: { gpu_layers: 0, ctx: 256, threads: 1 },
    }),
    "prec.yaml",
    "/tmp",
  );
}

/** Results for every planned cell: K = 2 speedups steady (1.50 ± 0.3%), K = 4 noisy (0.8 to 1.6). */
function results(m: ReturnType<typeof manifest>, contended = false): PrecisionInput[] {
  const noisy = [0.8, 1.6, 1.1, 1.4, 0.9];
  return planSweep(m).cells.map((cell) => {
    const k = cell.k?.kind === "fixed" ? cell.k.k : 0;
    const speedup = k === 2 ? 1.5 + 0.005 * (cell.repeat % 2) : (noisy[cell.repeat] ?? 1);
    return {
      hostId: "h",
      cellId: cell.cellId,
      cell,
      status: "ok" as const,
      metrics: {
        nDecoded: 16,
        decodeMs: 100,
        decodeTps: cell.kind === "baseline" ? 100 : 100 * speedup,
        wallMs: 120,
        ...(contended
          ? {
              noise: {
                loadAvg1: 3,
                cores: 2,
                otherCpuCores: 1.4,
                ownCpuCores: 0.6,
                engineThreads: 1,
                idleCores: 0.6,
                windowMs: 1000,
                contended: true,
              },
            }
          : {}),
      },
    };
  });
}

describe("precisionRound", () => {
  it("adds the next repeat to the groups wider than rel_ci only, with paired baselines", () => {
    const m = manifest({ rel_ci: 0.05, max_repeats: 5 });
    const round = precisionRound(m, results(m));
    expect(round.select?.repeats).toEqual([3]);
    const k4 = planSweep(m).cells.find(
      (c) => c.kind === "speculative" && c.k?.kind === "fixed" && c.k.k === 4,
    )!;
    expect([...round.select!.groups]).toEqual([precisionGroupKey(k4)]);
    expect(round.unstable).toEqual([]);
    const k2 = round.groups.find((g) => g.key !== precisionGroupKey(k4))!;
    expect(k2.of).toBe("speedup");
    expect(k2.relCi).toBeLessThan(0.05);
    // the repeat's cells: K = 4 only, each speculative run after its own baseline, seed = seed + 3
    const cells = planRepeats(m, round.select!).flatMap((s) => s.cells);
    expect(cells.map((c) => c.kind)).toEqual(["baseline", "speculative"]);
    expect(cells[1]!.k).toEqual({ kind: "fixed", k: 4 });
    expect(cells[0]!.pairedWith).toBe(cells[1]!.cellId);
    expect(cells.every((c) => c.repeat === 3 && c.seed === 8)).toBe(true);
  });

  it("marks a group still wider at max_repeats unstable and adds nothing", () => {
    const m = manifest({ rel_ci: 0.05, max_repeats: 3 });
    const round = precisionRound(m, results(m));
    expect(round.select).toBeUndefined();
    expect(round.unstable).toHaveLength(1);
    expect(round.unstable[0]!.relCi).toBeGreaterThan(0.05);
  });

  it("never counts contended runs: a group of contended runs has no interval yet", () => {
    const m = manifest({ rel_ci: 0.05, max_repeats: 5 });
    const round = precisionRound(m, results(m, true));
    expect(round.groups.every((g) => g.repeats === 0 && g.relCi === undefined)).toBe(true);
    expect(round.select?.groups.size).toBe(2);
  });

  it("does nothing without sweep.precision", () => {
    const m = manifest(undefined);
    expect(precisionRound(m, results(m)).select).toBeUndefined();
  });

  it("refuses a precision it cannot mean, naming the key", () => {
    expect(() => manifest({ rel_ci: 0, max_repeats: 5 })).toThrow(/rel_ci/);
    expect(() => manifest({ rel_ci: 0.05, max_repeats: 1 })).toThrow(/max_repeats/);
  });

  it("refuses a repeat cap below the repeats the sweep starts with, naming both and the key", () => {
    expect(() => manifest({ rel_ci: 0.05, max_repeats: 2 }, 3)).toThrow(
      /sweep\.precision\.max_repeats.*max_repeats 2 is below repeats 3/s,
    );
    expect(() => manifest({ rel_ci: 0.05, max_repeats: 3 }, 3)).not.toThrow();
  });
});
