// The report's category, llama-bench and tree sections (issue 14 items 3-5), from results built on a real
// plan: each figure the tables print is recomputed here from the runs that went in.
import { describe, expect, it } from "vitest";
import { analyzeSweep } from "../../cli/report/analyze-sweep.js";
import { methodSections } from "../../cli/report/method-sections.js";
import type { Block } from "../../cli/report/report-document.js";
import type { StoredResult } from "../../cli/store/store-records.js";
import type { Cell } from "../../core/cell.js";
import type { CellMetrics } from "../../core/metrics.js";
import { parseManifest } from "../../core/manifest/load-manifest.js";
import { planSweep } from "../../core/plan/plan-sweep.js";

const MANIFEST = `name: methods
engine: llama-speculative
models:
  big: { file: big.gguf }
  small: { file: small.gguf }
pairs:
  - { target: big, draft: small }
prompts: { suite: default, categories: [code, repetitive] }
sweep:
  k: [4]
  temperature: [0]
  n_parallel: [1, 2]
  repeats: 2
llama_bench: { repetitions: 3, n_prompt: 16 }
`;

/** Speedup the fake runs have per category and tree setting, and acceptance counts (accepted of 40). */
const SPEEDUP: Record<string, number> = { code: 2, repetitive: 3 };
const ACCEPTED: Record<string, number> = { code: 20, repetitive: 30 };

function metricsOf(c: Cell): CellMetrics {
  // repeat 1 runs 10 % faster on both sides, so the paired ratios are exact and the baselines vary
  const base = 10 * (1 + 0.1 * c.repeat) * (1 + 0.01 * c.promptIndex);
  if (c.kind === "bench")
    return {
      nDecoded: 128,
      decodeMs: 1,
      decodeTps: 50 + c.repeat,
      decodeTpsSd: 2,
      nPrompt: 16,
      promptTps: 400,
      promptTpsSd: 9,
      wallMs: 5,
    };
  if (c.kind === "baseline") return { nDecoded: 128, decodeMs: 1, decodeTps: base, wallMs: 5 };
  const tree = c.nParallel === 2 ? 1.5 : 1;
  return {
    nDecoded: 128,
    decodeMs: 1,
    decodeTps: base * SPEEDUP[c.category!]! * tree,
    nDrafted: 40,
    nAccept: ACCEPTED[c.category!]!,
    wallMs: 5,
  };
}

function results(): StoredResult[] {
  const plan = planSweep(parseManifest(MANIFEST, "m.yaml", "/x"));
  return plan.cells.map((cell) => ({
    sweepId: "s",
    cellId: cell.cellId,
    hostId: "h1",
    shardId: "sh",
    status: "ok",
    attempt: 1,
    engine: cell.engine,
    startedAt: "2026-12-03T00:00:00Z",
    finishedAt: "2026-12-03T00:00:01Z",
    metrics: metricsOf(cell),
    cell,
  }));
}

const tables = (blocks: Block[], role: string) =>
  blocks.filter((b): b is Extract<Block, { kind: "table" }> => b.kind === "table" && b.role === role);

describe("methodSections", () => {
  const rs = results();
  const blocks = methodSections(rs, analyzeSweep("s", rs));

  it("a Spec-Bench-style table per host: one column per category and 'all', a row per configuration", () => {
    const [t] = tables(blocks, "categories");
    // suite order, whatever order the results came in
    expect(t?.headers).toEqual(["configuration", "code", "repetitive", "all"]);
    const reversed = [...rs].reverse();
    const [r] = tables(methodSections(reversed, analyzeSweep("s", reversed)), "categories");
    expect(r?.headers).toEqual(t?.headers);
    const single = t?.rows.find((r) => r[0]!.endsWith("np 1"));
    const tree = t?.rows.find((r) => r[0]!.includes("np 2 p_split 0.1"));
    expect(single?.[0]).toBe("big+small K=4 T=0, np 1");
    // code: 2x and 20 of 40 accepted over 5 prompts x 2 repeats; repetitive: 3x and 30 of 40
    expect(single?.[1]).toMatch(/^2\.00× \[2\.00, 2\.00\], acc 50\.0% \(n=10\)$/);
    expect(single?.[2]).toBe("3.00× [3.00, 3.00], acc 75.0% (n=10)");
    expect(tree?.[1]).toMatch(/^3\.00× .*acc 50\.0%/);
    // all: geometric mean of 2 and 3 over equal counts = sqrt(6)
    expect(single?.[3]).toMatch(new RegExp(`^${Math.sqrt(6).toFixed(2)}× .*acc 62\\.5% \\(n=20\\)$`));
  });

  it("llama-bench's own mean ± sd per run beside the engine's baselines of the same target", () => {
    const [t] = tables(blocks, "llama-bench");
    expect(t?.rows).toHaveLength(1);
    const row = t!.rows[0]!;
    expect(row.slice(0, 3)).toEqual(["h1", "big", "tg128"]);
    // geometric mean of the two runs' means, 50 and 51
    expect(row[3]).toMatch(new RegExp(`^${Math.sqrt(50 * 51).toFixed(2)} \\[.*\\] \\(n=2\\)$`));
    expect(row[4]).toBe("50.00 ± 2.00; 51.00 ± 2.00");
    expect(row[5]).toBe("3");
    expect(row[6]).toBe("pp16 400.0 ± 9.0; pp16 400.0 ± 9.0");
    const baselines = rs.filter((r) => r.cell?.kind === "baseline").map((r) => r.metrics!.decodeTps);
    const geoMean = Math.exp(baselines.reduce((a, b) => a + Math.log(b), 0) / baselines.length);
    expect(row[7]).toMatch(new RegExp(`^T=0: ${geoMean.toFixed(2)} \\[.*\\] \\(n=${baselines.length}\\)$`));
  });

  it("tree drafting groups apart per n_parallel, with their own speedups", () => {
    const [t] = tables(blocks, "tree");
    const byNp = new Map(t?.rows.map((r) => [r[4], r]));
    expect([...byNp.keys()].sort()).toEqual(["1", "2"]);
    expect(byNp.get("2")?.[5]).toBe("0.1");
    // np 2 is 1.5x faster than np 1 on every run: sqrt(6) x 1.5 overall
    expect(byNp.get("2")?.[9]).toBe(`${(Math.sqrt(6) * 1.5).toFixed(2)}×`);
    expect(byNp.get("1")?.[9]).toBe(`${Math.sqrt(6).toFixed(2)}×`);
  });

  it("leaves every section out when the sweep has no categories, bench cells or trees", () => {
    const plain = rs.filter((r) => r.cell?.kind !== "bench" && r.cell?.nParallel !== 2);
    const stripped = plain.map((r) => {
      const { category: _c, nParallel: _n, pSplit: _p, ...cell } = r.cell!;
      return { ...r, cell: cell };
    });
    expect(methodSections(stripped, analyzeSweep("s", stripped))).toEqual([]);
  });
});
