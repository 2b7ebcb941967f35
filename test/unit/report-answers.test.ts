// The answers know their limits: a draft nothing of which was accepted is never a speedup, every draft gets
// its batching answer, labels say measured or fitted, and noisy data is called noisy.
import { describe, expect, it } from "vitest";

import { analyzeSweep } from "../../cli/report/analyze-sweep.js";
import { answerQuestions } from "../../cli/report/answer-questions.js";
import { bestGroup } from "../../cli/report/best-group.js";
import { recommend } from "../../cli/report/recommend.js";
import { kTable } from "../../cli/report/report-tables.js";
import type { CellResult } from "../../core/metrics.js";
import { fakeSweep } from "../support/fake-results.js";
import {
  CONTENDED_NOISE,
  editMetrics,
  noneAccepted,
  QUIET_NOISE,
  storedResults,
} from "../support/stored-results.js";

describe("a draft whose tokens were never accepted", () => {
  // The misaligned pair accepts nothing, yet host drift makes its runs look 30% faster than their baselines.
  const d = fakeSweep({ seed: 3, temperatures: [0, 1], concurrency: [] });
  const results = editMetrics(d, (m, cell) =>
    cell?.draft?.name === "other-1b" ? { ...noneAccepted(m), decodeTps: m.decodeTps * 1.3 } : undefined,
  );
  const a = analyzeSweep("sw", storedResults(d, results));
  const answers = answerQuestions(a);
  const recs = recommend(a, answers);
  const dead = a.speculative.filter((g) => g.draft === "other-1b");

  it("is marked, never best, and never recommended", () => {
    expect(dead.length).toBeGreaterThan(0);
    // the timing ratio alone would have called these a clear speedup
    expect(dead.some((g) => (g.speedupCi95?.[0] ?? 0) > 1)).toBe(true);
    for (const g of dead) expect(g.noneAccepted).toBe(true);
    for (const host of a.hostIds)
      for (const t of [0, 1])
        expect(bestGroup(dead.filter((g) => g.hostId === host && g.temperature === t))).toBeUndefined();
    for (const host of a.hostIds)
      expect(recs).toContain(
        `${host}, llama2-7b+other-1b: do not enable speculative decoding: the target accepted none of the draft's tokens in any setting.`,
      );
    const best = answers.find((x) => x.id === "best-k")!;
    expect(best.numbers.filter((n) => String(n.pair).includes("other-1b"))).toEqual([]);
  });

  it("is shown in the K table as noise, not as a speedup", () => {
    const rows = kTable(a, a.hostIds[0]!).rows.filter((r) => r[0] === "llama2-7b+other-1b");
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r[7]).toMatch(/0 accepted: noise, not a speedup/);
  });
});

describe("labels and noise", () => {
  it("says fitted where nothing was measured by position or time", () => {
    const d = fakeSweep({ seed: 5, recordPositions: false, concurrency: [] });
    const a = analyzeSweep("sw", storedResults(d));
    for (const f of a.fits) {
      expect(f.alphaSource).toBe("fitted");
      expect(f.cSource).toBe("fitted");
    }
    const text = answerQuestions(a)
      .flatMap((x) => x.details)
      .join("\n");
    expect(text).toContain("fitted to tokens per step");
    expect(text).toContain("fitted to the speedups");
    expect(text).not.toContain("measured from accepted-by-position");
  });

  it("measures α = 1 for an identical draft (tokens per step would say 0.98)", () => {
    const d = fakeSweep({ seed: 6, concurrency: [], temperatures: [0] });
    const results = editMetrics(d, (m) => {
      if (m.acceptByPosition === undefined) return undefined;
      const steps = m.targetSteps!;
      const k = m.acceptByPosition.length;
      return { nDrafted: steps * k, nAccept: steps * k, acceptByPosition: m.acceptByPosition.map(() => 1) };
    });
    const a = analyzeSweep("sw", storedResults(d, results));
    for (const f of a.fits) expect(f.alpha).toBe(1);
  });

  it("calls one-run groups too noisy to answer from, and answers batching for every draft", () => {
    const d = fakeSweep({ seed: 8, repeats: 1, prompts: 1, concurrency: [1, 4], temperatures: [0] });
    // a second draft in the batching cells
    const extra = d.results
      .filter((r) => d.cells.find((c) => c.cellId === r.cellId)?.draft?.name === "tinyllama-1.1b")
      .filter((r) => d.cells.find((c) => c.cellId === r.cellId)?.kind === "parallel");
    const cells = [...d.cells];
    const more: CellResult[] = extra.map((r) => {
      const cell = d.cells.find((c) => c.cellId === r.cellId)!;
      const copy = {
        ...cell,
        cellId: `${cell.cellId}-b`,
        draft: { ...cell.draft!, name: "second-draft", sha256: "f".repeat(64) },
      };
      cells.push(copy);
      return { ...r, cellId: copy.cellId };
    });
    const all = { ...d, cells };
    const a = analyzeSweep("sw", storedResults(all, [...d.results, ...more]));
    const answers = answerQuestions(a);
    const batching = answers.find((x) => x.id === "batching")!;
    expect(new Set(batching.numbers.map((n) => n.draft))).toEqual(
      new Set(["tinyllama-1.1b", "second-draft"]),
    );
    expect(batching.tooNoisy.join("\n")).toMatch(/rests on 1 run\(s\)/);
    expect(answers.find((x) => x.id === "speedup-vs-theory")!.tooNoisy.join("\n")).toMatch(/no interval/);
    // and no batching advice rests on them
    expect(recommend(a, answers).join("\n")).toMatch(/no batching advice/);
  });
});

describe("groups that ran under contention", () => {
  // host-l4 ran beside a CPU hog: every run there carries a contended host-noise record
  const d = fakeSweep({ seed: 9, concurrency: [1, 2] });
  const results = editMetrics(d, (_m, _cell, r) => ({
    noise: r.hostId === "host-l4" ? CONTENDED_NOISE : QUIET_NOISE,
  }));
  const a = analyzeSweep("sw", storedResults(d, results));
  const answers = answerQuestions(a);
  const recs = recommend(a, answers);

  it("are marked in the tables and named in the answers", () => {
    const l4 = kTable(a, "host-l4").rows;
    for (const r of l4) expect(r.at(-1)).toMatch(/^CONTENDED \(\d+ of \d+ runs; not recommended from\)$/);
    for (const r of kTable(a, "host-a100").rows) expect(r.at(-1)).toBe("quiet");
    const noisy = answers.flatMap((x) => x.tooNoisy).join("\n");
    expect(noisy).toMatch(
      /host-l4, llama2-7b, T=0: baseline t\/s: \d+ of \d+ runs ran under contention \(load average up to 4\.10/,
    );
    expect(noisy).toMatch(
      /host-l4, llama2-7b\+tinyllama-1\.1b at 1 sequence\(s\): .*so its gain is not used/,
    );
  });

  it("are never recommended from, for or against", () => {
    const l4 = recs.filter((r) => r.startsWith("host-l4"));
    expect(l4.length).toBeGreaterThan(0);
    for (const r of l4) expect(r).toMatch(/no recommendation from|no batching advice/);
    expect(recs.some((r) => r.startsWith("host-a100") && r.includes("enable speculation"))).toBe(true);
    for (const n of answers.find((x) => x.id === "best-k")!.numbers) expect(n.hostId).toBe("host-a100");
  });
});
