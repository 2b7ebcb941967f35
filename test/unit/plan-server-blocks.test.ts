// The planner's order for llama-server: configuration blocks (one per K, p_min), every speculative cell
// preceded by its own baseline (ABAB) so one baseline server serves every block, shards cut between blocks where a block fits and inside one only when it alone
// is too long; and the regrouping an agent falls back to when two servers do not fit together.
import { describe, expect, it } from "vitest";
import type { Cell } from "../../core/cell.js";
import { parseManifest } from "../../core/manifest/load-manifest.js";
import { estimateCellMs, estimateLoads } from "../../core/plan/estimate-run-ms.js";
import { planSweep } from "../../core/plan/plan-sweep.js";
import { countServerConfigs, groupByServer, serverKeyOf } from "../../core/plan/server-blocks.js";

/** The grid: one pair, K 2/4/6/8 × five temperatures × 2 repeats, plus the target's baselines. */
function grid(over: Record<string, unknown> = {}): ReturnType<typeof parseManifest> {
  const text = JSON.stringify({
    name: "grid40",
    models: { t: { file: "t.gguf" }, d: { file: "d.gguf" } },
    pairs: [{ target: "t", draft: "d" }],
    prompts: ["The quick brown fox jumps over the lazy dog and"],
    sweep: { k: [2, 4, 6, 8], temperature: [0.1, 0.5, 0.7, 1.0, 1.5], n_predict: 32, repeats: 2, seed: 1 },
    baseline: true,
    engine: "llama-server",
    llama: { gpu_layers: 0, ctx: 512, threads: 1 },
    estimate: { decode_tps: 100, load_ms: 1000 },
    ...over,
  });
  return parseManifest(text, "grid40.yaml", "/tmp");
}

const keys = (cells: readonly Cell[]): string[] => cells.map((c) => serverKeyOf(c));
const groupOf = (c: Cell): string => `${c.temperature}/${c.promptHash}/${c.repeat}`;

/** Each key's cells form one contiguous run in the sequence. */
function contiguous(seq: readonly string[], key: string): boolean {
  const first = seq.indexOf(key);
  const last = seq.lastIndexOf(key);
  return seq.slice(first, last + 1).every((k) => k === key);
}

describe("planSweep for llama-server: configuration blocks", () => {
  it("one shard of the 40-cell grid starts 5 servers: a block per K, each speculative run after its own baseline", () => {
    const plan = planSweep(grid());
    expect(plan.counts).toMatchObject({ speculative: 40, baseline: 40 });
    expect(plan.shards).toHaveLength(1);
    const cells = plan.shards[0]!.cells;
    const seq = keys(cells);
    expect(countServerConfigs(cells)).toBe(5);
    expect(estimateLoads("llama-server", cells)).toBe(5);
    const specSeq = seq.filter((k) => k !== "base/np1");
    for (const k of [2, 4, 6, 8]) expect(contiguous(specSeq, `draft/k${k}/p0/np1`)).toBe(true);
    // ABAB: baseline, its speculative partner (same temperature, prompt, repeat, seed), baseline, ...
    expect(cells.map((c) => c.kind)).toEqual(
      Array.from({ length: 40 }, () => ["baseline", "speculative"]).flat(),
    );
    for (let i = 0; i < cells.length; i += 2) {
      const [base, spec] = [cells[i]!, cells[i + 1]!];
      expect(base.pairedWith).toBe(spec.cellId);
      expect(groupOf(spec)).toBe(groupOf(base));
      expect(spec.seed).toBe(base.seed);
    }
    // blocks in K order, the baseline server needed through every block
    expect(seq.lastIndexOf("base/np1")).toBeGreaterThan(seq.indexOf("draft/k8/p0/np1"));
    expect([...new Set(specSeq)]).toEqual([
      "draft/k2/p0/np1",
      "draft/k4/p0/np1",
      "draft/k6/p0/np1",
      "draft/k8/p0/np1",
    ]);
  });

  it("cuts shards between blocks when each block fits a shard, counting one load per configuration", () => {
    const m = grid();
    const plan0 = planSweep(m);
    const cells = plan0.shards[0]!.cells;
    // room for one block (K = 2 with its 10 baselines: the first 20 cells, two loads), not for two
    const block = cells.slice(0, 20);
    expect(new Set(keys(block))).toEqual(new Set(["base/np1", "draft/k2/p0/np1"]));
    const target = block.reduce((a, c) => a + estimateCellMs(c, m.estimate), 0) + 2 * m.estimate.loadMs + 1;
    const plan = planSweep(m, { targetShardMs: target });
    // [baselines + K 2], [baselines + K 4], ...: whole blocks, one per shard
    expect(plan.shards.map((s) => new Set(keys(s.cells)).size)).toEqual([2, 2, 2, 2]);
    const shardOfKey = new Map<string, string>();
    for (const s of plan.shards) {
      for (const key of new Set(keys(s.cells))) {
        if (key === "base/np1") continue;
        expect(shardOfKey.has(key), `${key} split over shards`).toBe(false);
        shardOfKey.set(key, s.shardId);
      }
      const estimate = s.cells.reduce((a, c) => a + estimateCellMs(c, m.estimate), 0);
      expect(s.estimatedMs).toBe(
        Math.round(estimate + estimateLoads("llama-server", s.cells) * m.estimate.loadMs),
      );
    }
    expect(plan.shards.flatMap((s) => s.cells).map((c) => c.cellId)).toEqual(cells.map((c) => c.cellId));
  });

  it("cuts inside a block only when the block alone is too long, never between a baseline and its partner", () => {
    const plan = planSweep(grid(), { targetShardMs: 1 });
    expect(plan.shards.length).toBeGreaterThan(5);
    for (const s of plan.shards) {
      // a shard of one unit: one speculative cell, or a baseline with its partner
      const kinds = s.cells.map((c) => c.kind);
      expect([["speculative"], ["baseline", "speculative"]]).toContainEqual(kinds);
      if (kinds.length === 2) expect(groupOf(s.cells[0]!)).toBe(groupOf(s.cells[1]!));
    }
  });

  it("gives every pair its own baselines, each in its partner's shard, whatever the cut", () => {
    const m = grid({
      models: { t: { file: "t.gguf" }, d: { file: "d.gguf" }, d2: { file: "d2.gguf" } },
      pairs: [
        { target: "t", draft: "d" },
        { target: "t", draft: "d2" },
      ],
    });
    for (const targetShardMs of [1, 20_000, 300_000]) {
      const plan = planSweep(m, { targetShardMs });
      const baselines = plan.cells.filter((c) => c.kind === "baseline");
      expect(baselines).toHaveLength(80);
      expect(new Set(baselines.map((c) => c.cellId)).size).toBe(80);
      for (const s of plan.shards) {
        const ids = new Set(s.cells.map((c) => c.cellId));
        for (const c of s.cells) if (c.kind === "baseline") expect(ids.has(c.pairedWith ?? "")).toBe(true);
      }
    }
  });

  it("keeps the in-process order: (temperature, prompt, repeat) groups with every K, baseline before each", () => {
    const plan = planSweep(grid({ engine: "in-process" }));
    const cells = plan.shards[0]!.cells;
    for (let i = 0; i < cells.length; i += 8) {
      const group = cells.slice(i, i + 8);
      expect(group.map((c) => c.kind)).toEqual(
        Array.from({ length: 4 }, () => ["baseline", "speculative"]).flat(),
      );
      expect(new Set(group.map(groupOf)).size).toBe(1);
    }
  });
});

describe("groupByServer: the order for servers that must not coexist", () => {
  it("moves the interleaved baselines into one block of their own, before the first speculative block", () => {
    const planned = planSweep(grid()).shards[0]!.cells;
    const order = groupByServer(planned);
    expect([...order].sort((a, b) => a.cellId.localeCompare(b.cellId))).toEqual(
      [...planned].sort((a, b) => a.cellId.localeCompare(b.cellId)),
    );
    const seq = keys(order);
    for (const key of new Set(seq)) expect(contiguous(seq, key)).toBe(true);
    expect(seq.slice(0, 40).every((k) => k === "base/np1")).toBe(true);
    // inside each block, the planned order is kept
    for (const key of new Set(seq)) {
      expect(order.filter((c) => serverKeyOf(c) === key)).toEqual(
        planned.filter((c) => serverKeyOf(c) === key),
      );
    }
  });

  it("leaves a plan whose configurations are already contiguous as it is", () => {
    const planned = planSweep(grid({ baseline: false })).shards[0]!.cells;
    expect(groupByServer(planned)).toEqual(planned);
  });

  it("shares one server over every K where the build takes K per request", () => {
    const planned = planSweep(grid()).shards[0]!.cells;
    expect(countServerConfigs(planned, { kPerRequest: true })).toBe(2);
    expect(countServerConfigs(planned)).toBe(5);
  });
});
