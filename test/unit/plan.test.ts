import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Cell } from "../../core/cell.js";
import { cellIdOf } from "../../core/ids.js";
import { loadManifest, parseManifest } from "../../core/manifest/load-manifest.js";
import type { Manifest } from "../../core/manifest/manifest.js";
import { MAX_SHARD_PAYLOAD_BYTES, planSweep } from "../../core/plan/plan-sweep.js";

const examples = path.resolve(import.meta.dirname, "../../examples");

/** The formula, from the manifest's own lists. */
function formulaCounts(m: Manifest): {
  baseline: number;
  speculative: number;
  parallel: number;
  bench: number;
} {
  const s = m.sweep;
  const perPair = s.temperature.length * m.prompts.length * s.repeats;
  const speculative = m.pairs.length * s.k.length * s.pMin.length * perPair;
  return {
    speculative,
    // ABAB: every speculative run has a baseline run of its own
    baseline: m.baseline ? speculative : 0,
    parallel:
      m.parallel === undefined ? 0 : m.pairs.length * m.parallel.concurrency.length * m.parallel.draft.length,
    // llama-bench baselines: once per target and repeat
    bench: m.llamaBench === undefined ? 0 : new Set(m.pairs.map((p) => p.target)).size * s.repeats,
  };
}

function kindCount(cells: readonly Cell[], kind: Cell["kind"]): number {
  return cells.filter((c) => c.kind === kind).length;
}

const groupOf = (c: Cell): string => `${c.temperature}/${c.promptHash}/${c.repeat}`;

describe("planSweep on examples/lab1.yaml", () => {
  it("counts follow pairs × k × p_min × temperature × prompts × repeats (and the baseline and parallel formulas)", async () => {
    const m = await loadManifest(path.join(examples, "lab1.yaml"));
    const plan = planSweep(m);
    const expected = formulaCounts(m);
    expect(plan.counts).toEqual({
      ...expected,
      total: expected.baseline + expected.speculative + expected.parallel + expected.bench,
    });
    expect(kindCount(plan.cells, "speculative")).toBe(expected.speculative);
    expect(kindCount(plan.cells, "baseline")).toBe(expected.baseline);
    expect(kindCount(plan.cells, "parallel")).toBe(expected.parallel);
    expect(new Set(plan.cells.map((c) => c.cellId)).size).toBe(plan.cells.length);
  });

  it("puts every cell in exactly one shard, keyed by engine, target, draft and llama settings", async () => {
    const m = await loadManifest(path.join(examples, "lab1.yaml"));
    const plan = planSweep(m, { targetShardMs: 60_000 });
    expect(plan.shards.length).toBeGreaterThan(3);
    expect(plan.shards.flatMap((s) => s.cells)).toEqual(plan.cells);
    for (const shard of plan.shards) {
      for (const cell of shard.cells) {
        expect(cell.engine).toBe(shard.key.engine);
        expect(cell.target).toEqual(shard.key.target);
        if (cell.kind !== "baseline") expect(cell.draft).toEqual(shard.key.draft);
        expect(cell.llama).toEqual(shard.key.llama);
      }
      expect(shard.estimatedMs).toBeGreaterThan(0);
    }
    expect(plan.estimatedMs).toBe(plan.shards.reduce((a, s) => a + s.estimatedMs, 0));
  });

  it("keeps each (temperature, prompt, repeat) group whole, baselines and speculative runs alternating (ABAB), when shards are cut small (CLI engine)", async () => {
    const { readFile } = await import("node:fs/promises");
    const file = path.join(examples, "lab1.yaml");
    const text = (await readFile(file, "utf8")).replace("engine: llama-server", "engine: llama-speculative");
    const m = parseManifest(text, file, examples);
    const plan = planSweep(m, { targetShardMs: 1 });
    const shardOfGroup = new Map<string, string>();
    for (const shard of plan.shards) {
      const specOrBase = shard.cells.filter((c) => c.kind !== "parallel");
      for (const c of specOrBase) {
        const g = groupOf(c);
        const seen = shardOfGroup.get(g);
        if (seen !== undefined) expect(seen).toBe(shard.shardId);
        shardOfGroup.set(g, shard.shardId);
      }
      if (specOrBase.length > 0) {
        const units = m.sweep.k.length * m.sweep.pMin.length;
        expect(specOrBase.map((c) => c.kind)).toEqual(
          Array.from({ length: units }, () => ["baseline", "speculative"]).flat(),
        );
        // each baseline names the speculative run right after it
        for (let i = 0; i < specOrBase.length; i += 2)
          expect(specOrBase[i]?.pairedWith).toBe(specOrBase[i + 1]?.cellId);
      }
    }
  });

  it("gives every cell the id cellIdOf computes from the cell alone", async () => {
    const m = await loadManifest(path.join(examples, "demo-cpu.yaml"));
    for (const c of planSweep(m).cells) expect(c.cellId).toBe(cellIdOf(c));
  });

  it("plans identical cellIds and shardIds twice", async () => {
    const a = planSweep(await loadManifest(path.join(examples, "lab1.yaml")));
    const b = planSweep(await loadManifest(path.join(examples, "lab1.yaml")));
    expect(b.cells.map((c) => c.cellId)).toEqual(a.cells.map((c) => c.cellId));
    expect(b.shards.map((s) => s.shardId)).toEqual(a.shards.map((s) => s.shardId));
  });
});

describe("planSweep: changing one parameter changes only the affected cellIds", () => {
  const lab1 = path.join(examples, "lab1.yaml");
  const variant = async (edit: (text: string) => string): Promise<Set<string>> => {
    const { readFile } = await import("node:fs/promises");
    const text = edit(await readFile(lab1, "utf8"));
    return new Set(planSweep(parseManifest(text, lab1, examples)).cells.map((c) => c.cellId));
  };
  const ids = (cells: readonly Cell[], keep: (c: Cell) => boolean): Set<string> =>
    new Set(cells.filter(keep).map((c) => c.cellId));

  it("K 8 → 10 changes exactly the K = 8 speculative cells and their paired baselines", async () => {
    const before = planSweep(await loadManifest(lab1)).cells;
    const after = await variant((t) => t.replace("k: [2, 4, 6, 8]", "k: [2, 4, 6, 10]"));
    const k8 = ids(before, (c) => c.kind === "speculative" && c.k?.kind === "fixed" && c.k.k === 8);
    const isK8 = (c: Cell): boolean =>
      k8.has(c.cellId) || (c.pairedWith !== undefined && k8.has(c.pairedWith));
    const unchanged = ids(before, (c) => !isK8(c));
    const changed = ids(before, isK8);
    for (const id of unchanged) expect(after.has(id)).toBe(true);
    for (const id of changed) expect(after.has(id)).toBe(false);
    expect(after.size).toBe(before.length);
  });

  it("adding a temperature adds cells and keeps every existing id", async () => {
    const before = planSweep(await loadManifest(lab1)).cells;
    const after = await variant((t) =>
      t.replace("temperature: [0.1, 0.5, 0.7, 1.0, 1.5]", "temperature: [0.1, 0.5, 0.7, 1.0, 1.5, 2.0]"),
    );
    for (const c of before) if (c.kind !== "parallel") expect(after.has(c.cellId)).toBe(true);
    expect(after.size).toBeGreaterThan(before.length);
  });

  it("renaming a model alias keeps every id", async () => {
    const before = planSweep(await loadManifest(lab1)).cells;
    const after = await variant((t) => t.replaceAll("llama2-7b", "seven-b"));
    expect(after).toEqual(new Set(before.map((c) => c.cellId)));
  });

  it("n_predict changes every id", async () => {
    const before = planSweep(await loadManifest(lab1)).cells;
    const after = await variant((t) => t.replace("n_predict: 100", "n_predict: 101"));
    for (const c of before) expect(after.has(c.cellId)).toBe(false);
  });
});

describe("planSweep on other manifests", () => {
  it("gives every pair's shards the baselines of their own speculative runs, same group, right before them (misaligned.yaml)", async () => {
    const m = await loadManifest(path.join(examples, "misaligned.yaml"));
    const plan = planSweep(m, { targetShardMs: 1 });
    expect(plan.counts.baseline).toBe(formulaCounts(m).baseline);
    expect(plan.counts.speculative).toBe(formulaCounts(m).speculative);
    const drafts = new Set<string>();
    for (const shard of plan.shards) {
      shard.cells.forEach((c, i) => {
        if (c.kind !== "baseline") return;
        const partner = shard.cells[i + 1];
        expect(partner?.cellId).toBe(c.pairedWith);
        expect(partner?.kind).toBe("speculative");
        expect([partner?.temperature, partner?.promptHash, partner?.repeat, partner?.seed]).toEqual([
          c.temperature,
          c.promptHash,
          c.repeat,
          c.seed,
        ]);
        drafts.add(shard.key.draft?.name ?? "");
      });
    }
    expect(drafts).toEqual(new Set(m.pairs.map((p) => p.draft)));
  });

  it("plans a parallel cell without a draft once when pairs share the target (demo-cpu.yaml)", async () => {
    const m = await loadManifest(path.join(examples, "demo-cpu.yaml"));
    const plan = planSweep(m);
    const p = m.parallel!;
    const withDraft = m.pairs.length * p.concurrency.length * p.draft.filter(Boolean).length;
    const withoutDraft = new Set(m.pairs.map((x) => x.target)).size * p.concurrency.length;
    expect(plan.counts.parallel).toBe(withDraft + withoutDraft);
    expect(plan.warnings.join("\n")).toMatch(/planned once/);
    expect(new Set(plan.cells.map((c) => c.cellId)).size).toBe(plan.cells.length);
  });

  it("gives each repeat its own seed, shared by baseline and speculative cells of the group", async () => {
    const m = await loadManifest(path.join(examples, "lab1.yaml"));
    for (const c of planSweep(m).cells)
      if (c.kind !== "parallel") expect(c.seed).toBe(m.sweep.seed + c.repeat);
  });
});

describe("plan warnings", () => {
  const text = (over: string): string => `name: w
models: { t: { file: t.gguf }, d: { file: d.gguf }, spare: { file: s.gguf } }
pairs: [{ target: t, draft: d }]
prompts: [hello]
sweep: { k: [4, 24], temperature: [0, 0.7], n_predict: 64, repeats: 2 }
${over}`;
  const warningsOf = (over: string): string =>
    planSweep(parseManifest(text(over), "w.yaml", "/")).warnings.join("\n");

  it.each([
    [
      "greedy drafting of llama-speculative-simple at temperature > 0",
      "engine: llama-speculative-simple\n",
      /drafts greedily/,
    ],
    ["greedy drafting of llama-server at temperature > 0", "engine: llama-server\n", /drafts greedily/],
    [
      "K above the in-process engine's 16",
      "engine: in-process\n",
      /K 24 is above what engine in-process supports/,
    ],
    ["K + 1 above llama.batch", "llama: { batch: 8 }\n", /raise llama.batch/],
    ["n_predict beyond the context", "llama: { ctx: 64 }\n", /exceeds llama.ctx 64/],
    [
      "llama-parallel cannot load a draft",
      "engine: llama-speculative\nparallel: { concurrency: [1], requests: 2 }\n",
      /llama-parallel/,
    ],
    [
      "requests below concurrency",
      "parallel: { concurrency: [8], requests: 4, draft: [false] }\n",
      /never full/,
    ],
    ["no baseline, no speedup", "baseline: false\n", /speedup .* cannot be computed/],
    ["seed reuse across baseline and speculative", "", /seed 42 \+ r/],
    ["a model no pair uses", "", /models spare are in no pair/],
  ])("%s", (_name, over, pattern) => {
    expect(warningsOf(over)).toMatch(pattern);
  });

  it("stays quiet about greedy drafting on llama-speculative", () => {
    expect(warningsOf("engine: llama-speculative\n")).not.toMatch(/greedily/);
  });
});

describe("planSweep shard payload size", () => {
  it("cuts shards so each fits one NATS message, keeping (temperature, prompt, repeat) groups whole", () => {
    const prompts = Array.from({ length: 30 }, (_, i) => `p${i} ${"ü".repeat(20_000)}`);
    const text = JSON.stringify({
      name: "long-prompts",
      models: { t: { file: "t.gguf" }, d: { file: "d.gguf" } },
      pairs: [{ target: "t", draft: "d" }],
      prompts,
      sweep: { k: [1, 2, 4], temperature: [0, 1], n_predict: 8, repeats: 2 },
      engine: "in-process",
    });
    const plan = planSweep(parseManifest(text, "long.yaml", "/tmp"));
    expect(plan.shards.length).toBeGreaterThan(1);
    for (const s of plan.shards) {
      const bytes = s.cells.reduce((n, c) => n + Buffer.byteLength(c.prompt) + 512, 0);
      expect(bytes).toBeLessThanOrEqual(MAX_SHARD_PAYLOAD_BYTES);
      const groups = new Set(s.cells.map(groupOf));
      for (const g of groups) {
        const all = plan.cells.filter((c) => groupOf(c) === g);
        expect(s.cells.filter((c) => groupOf(c) === g)).toHaveLength(all.length);
      }
    }
  });
});
