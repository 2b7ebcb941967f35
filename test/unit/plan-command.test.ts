import path from "node:path";
import { runCommand } from "@oclif/test";
import { describe, expect, it } from "vitest";
import type { PlanResult } from "../../cli/commands/plan.js";
import { loadManifest } from "../../core/manifest/load-manifest.js";

const examples = path.resolve(import.meta.dirname, "../../examples");
const lab1 = path.join(examples, "lab1.yaml");

describe("specgrid plan", () => {
  it("--json: counts follow the formula; every cell has cellId, kind and parameters; shards cover every cell", async () => {
    const { stdout, error } = await runCommand(["plan", lab1, "--json"]);
    expect(error).toBeUndefined();
    const r = JSON.parse(stdout) as PlanResult;
    const m = await loadManifest(lab1);
    const s = m.sweep;
    const perPair = s.temperature.length * m.prompts.length * s.repeats;
    expect(r.counts.speculative).toBe(m.pairs.length * s.k.length * s.pMin.length * perPair);
    // ABAB: one baseline per speculative run
    expect(r.counts.baseline).toBe(r.counts.speculative);
    expect(r.counts.parallel).toBe(
      m.pairs.length * m.parallel!.concurrency.length * m.parallel!.draft.length,
    );
    expect(r.counts.total).toBe(r.cells.length);
    for (const cell of r.cells) {
      expect(cell.cellId).toMatch(/^[0-9a-f]{32}$/);
      expect(["baseline", "speculative", "parallel"]).toContain(cell.kind);
      expect(cell.nPredict).toBe(s.nPredict);
    }
    const inShards = r.shards.flatMap((x) => x.cellIds);
    expect(inShards.sort()).toEqual(r.cells.map((c) => c.cellId).sort());
    expect(r.estimated_ms).toBeGreaterThan(0);
    expect(r.estimate_basis).toMatch(/not a measurement/);
    expect(r.warnings.length).toBeGreaterThan(0);
  });

  it("gives the same cellIds on a second run", async () => {
    const a = JSON.parse((await runCommand(["plan", lab1, "--json"])).stdout) as PlanResult;
    const b = JSON.parse((await runCommand(["plan", lab1, "--json"])).stdout) as PlanResult;
    expect(b.cells.map((c) => c.cellId)).toEqual(a.cells.map((c) => c.cellId));
  });

  it("prints counts by kind, pair and shard, the estimate and the warnings", async () => {
    const { stdout, error } = await runCommand(["plan", lab1, "--shard-minutes", "2"]);
    expect(error).toBeUndefined();
    expect(stdout).toMatch(/cells by kind/);
    expect(stdout).toMatch(/speculative\s+\d+/);
    expect(stdout).toMatch(/llama2-13b\+llama2-7b/);
    expect(stdout).toMatch(/shards \(\d+\)/);
    expect(stdout).toMatch(/run time: ~.*estimate, not a measurement/);
    expect(stdout).toMatch(/warnings\n {2}- /);
  });

  it("exits 2 listing every problem of a bad manifest", async () => {
    const bad = path.resolve(import.meta.dirname, "../fixtures/manifests/several-mistakes.yaml");
    const { error } = await runCommand(["plan", bad]);
    expect(error?.oclif?.exit).toBe(2);
    expect(error?.message).toMatch(/5 problem/);
  });
});
