// Pure sampler math on hand-made distributions: no model needed.
import { describe, expect, it } from "vitest";
import { filterTopK } from "../../core/sampling/filter-top-k.js";
import { residualDistribution } from "../../core/sampling/residual-distribution.js";
import { sampleToken } from "../../core/sampling/sample-token.js";
import { SeededPrng } from "../../core/sampling/seeded-prng.js";
import { normalizeDistribution, type TokenDistribution } from "../../core/sampling/token-distribution.js";
import { totalVariation } from "../../core/sampling/total-variation.js";
import { acceptProbability, verifyDraft } from "../../core/sampling/verify-draft.js";

const dist = (entries: [number, number][]): TokenDistribution => new Map(entries);

function expectDistCloseTo(actual: TokenDistribution, expected: [number, number][]): void {
  expect([...actual.keys()].sort((a, b) => a - b)).toEqual(expected.map(([t]) => t).sort((a, b) => a - b));
  for (const [token, p] of expected) expect(actual.get(token)).toBeCloseTo(p, 12);
}

describe("SeededPrng", () => {
  it("replays the same stream for the same seed and differs across seeds", () => {
    const draw = (seed: number): number[] => {
      const prng = new SeededPrng(seed);
      return Array.from({ length: 8 }, () => prng.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    // Seeds above 2^32 are not folded onto small ones.
    expect(draw(2 ** 32 + 5)).not.toEqual(draw(5));
  });

  it("draws uniforms in [0, 1) whose decile counts pass a chi-square test", () => {
    const prng = new SeededPrng(2026);
    const n = 100_000;
    const bins = new Array<number>(10).fill(0);
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = prng.next();
      min = Math.min(min, u);
      max = Math.max(max, u);
      bins[Math.floor(u * 10)]! += 1;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    const expected = n / 10;
    const chi2 = bins.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: P(chi2 > 27.9) = 0.001.
    expect(chi2).toBeLessThan(27.9);
  });

  it("rejects a seed that is not a finite number", () => {
    expect(() => new SeededPrng(Number.NaN)).toThrow(/finite/);
  });
});

describe("distributions", () => {
  it.each([
    {
      name: "rescales",
      input: [
        [1, 2],
        [2, 6],
      ] as [number, number][],
      want: [
        [1, 0.25],
        [2, 0.75],
      ] as [number, number][],
    },
    {
      name: "drops zero and negative",
      input: [
        [1, 0],
        [2, 3],
        [3, -1],
      ] as [number, number][],
      want: [[2, 1]] as [number, number][],
    },
  ])("normalizeDistribution $name", ({ input, want }) => {
    expectDistCloseTo(normalizeDistribution(input), want);
  });

  it("normalizeDistribution refuses a distribution with no mass", () => {
    expect(() => normalizeDistribution([[1, 0]])).toThrow(/no positive mass/);
  });

  it.each([
    {
      k: 2,
      want: [
        [5, 0.5 / 0.8],
        [9, 0.3 / 0.8],
      ] as [number, number][],
    },
    {
      k: 0,
      want: [
        [5, 0.5],
        [9, 0.3],
        [1, 0.1],
        [2, 0.1],
      ] as [number, number][],
    },
    {
      k: 10,
      want: [
        [5, 0.5],
        [9, 0.3],
        [1, 0.1],
        [2, 0.1],
      ] as [number, number][],
    },
  ])("filterTopK keeps the $k most probable tokens and renormalises", ({ k, want }) => {
    const p = dist([
      [1, 0.1],
      [9, 0.3],
      [2, 0.1],
      [5, 0.5],
    ]);
    expectDistCloseTo(filterTopK(p, k), want);
  });

  it("filterTopK breaks ties by token id, whatever the input order", () => {
    const a = filterTopK(
      dist([
        [7, 0.25],
        [3, 0.25],
        [4, 0.5],
      ]),
      2,
    );
    const b = filterTopK(
      dist([
        [4, 0.5],
        [3, 0.25],
        [7, 0.25],
      ]),
      2,
    );
    expect([...a.keys()]).toEqual([4, 3]);
    expect([...b.keys()]).toEqual([4, 3]);
  });

  it.each([
    { u: 0, want: 1 },
    { u: 0.19999, want: 1 },
    { u: 0.2, want: 2 },
    { u: 0.9999999, want: 3 },
  ])("sampleToken picks by inverse CDF: u=$u → $want", ({ u, want }) => {
    expect(
      sampleToken(
        dist([
          [1, 0.2],
          [2, 0.5],
          [3, 0.3],
        ]),
        u,
      ),
    ).toBe(want);
  });

  it("totalVariation is half the L1 distance over the union of supports", () => {
    expect(totalVariation(dist([[1, 1]]), dist([[2, 1]]))).toBe(1);
    expect(
      totalVariation(
        dist([
          [1, 0.5],
          [2, 0.5],
        ]),
        dist([
          [1, 0.5],
          [2, 0.5],
        ]),
      ),
    ).toBe(0);
    expect(
      totalVariation(
        dist([
          [1, 0.7],
          [2, 0.3],
        ]),
        dist([
          [1, 0.4],
          [3, 0.6],
        ]),
      ),
    ).toBeCloseTo(0.6, 12);
  });
});

describe("rejection sampling math", () => {
  it.each([
    { p: 0.5, q: 0.25, want: 1 },
    { p: 0.25, q: 0.5, want: 0.5 },
    { p: 0, q: 0.5, want: 0 },
    { p: 0.3, q: 0.3, want: 1 },
  ])("acceptProbability(p=$p, q=$q) = $want", ({ p, q, want }) => {
    expect(acceptProbability(p, q)).toBeCloseTo(want, 12);
  });

  it("the residual is norm(max(0, p − q))", () => {
    const p = dist([
      [1, 0.5],
      [2, 0.3],
      [3, 0.2],
    ]);
    const q = dist([
      [1, 0.7],
      [2, 0.1],
      [4, 0.2],
    ]);
    // max(0, p−q) = {2: 0.2, 3: 0.2} → {2: 0.5, 3: 0.5}
    expectDistCloseTo(residualDistribution(p, q), [
      [2, 0.5],
      [3, 0.5],
    ]);
  });

  it("the residual of equal distributions falls back to p", () => {
    const p = dist([
      [1, 0.6],
      [2, 0.4],
    ]);
    expect(residualDistribution(p, p)).toBe(p);
  });

  it.each([
    {
      name: "all accepted + bonus",
      draft: [4, 5, 6],
      target: [4, 5, 6, 7],
      want: { nAccepted: 3, tokens: [4, 5, 6, 7], bonus: true },
    },
    {
      name: "first rejected",
      draft: [4, 5, 6],
      target: [9, 5, 6, 7],
      want: { nAccepted: 0, tokens: [9], bonus: false },
    },
    {
      name: "middle rejected",
      draft: [4, 5, 6],
      target: [4, 8, 6, 7],
      want: { nAccepted: 1, tokens: [4, 8], bonus: false },
    },
  ])("greedy verification: $name", ({ draft, target, want }) => {
    expect(verifyDraft({ mode: "greedy", draftTokens: draft, targetTokens: target })).toEqual(want);
  });

  it("refuses a target that did not score K+1 positions", () => {
    expect(() => verifyDraft({ mode: "greedy", draftTokens: [1, 2], targetTokens: [1, 2] })).toThrow(
      /K\+1 = 3/,
    );
  });

  it("sampled verification keeps an identical draft at 100% and replays for a seed", () => {
    const p = dist([
      [1, 0.5],
      [2, 0.3],
      [3, 0.2],
    ]);
    const run = (seed: number) =>
      verifyDraft({
        mode: "sampled",
        draftTokens: [2, 3],
        draftDists: [p, p],
        targetDists: [p, p, p],
        prng: new SeededPrng(seed),
      });
    const out = run(9);
    expect(out.nAccepted).toBe(2);
    expect(out.bonus).toBe(true);
    expect(out.tokens.slice(0, 2)).toEqual([2, 3]);
    expect(run(9)).toEqual(out);
  });

  it("sampled verification never accepts a token the target gives probability 0", () => {
    const p = dist([[1, 1]]);
    const q = dist([[2, 1]]);
    for (let seed = 0; seed < 50; seed++) {
      const out = verifyDraft({
        mode: "sampled",
        draftTokens: [2],
        draftDists: [q],
        targetDists: [p, p],
        prng: new SeededPrng(seed),
      });
      expect(out).toEqual({ nAccepted: 0, tokens: [1], bonus: false });
    }
  });

  it("one step's first token is distributed exactly as p, whatever q (Monte Carlo)", () => {
    const p = dist([
      [1, 0.5],
      [2, 0.3],
      [3, 0.15],
      [4, 0.05],
    ]);
    const q = dist([
      [1, 0.1],
      [2, 0.2],
      [3, 0.3],
      [4, 0.3],
      [5, 0.1],
    ]);
    const prng = new SeededPrng(11);
    const n = 40_000;
    const counts = new Map<number, number>();
    let accepted = 0;
    for (let i = 0; i < n; i++) {
      const d = sampleToken(q, prng.next());
      const out = verifyDraft({
        mode: "sampled",
        draftTokens: [d],
        draftDists: [q],
        targetDists: [p, p],
        prng,
      });
      accepted += out.nAccepted;
      counts.set(out.tokens[0]!, (counts.get(out.tokens[0]!) ?? 0) + 1);
    }
    const empirical = new Map([...counts].map(([t, c]) => [t, c / n]));
    // Sampling noise of 40k draws over 4 tokens is ~0.005 in TV; the draft is 0.5 away.
    expect(totalVariation(empirical, p)).toBeLessThan(0.015);
    expect(totalVariation(empirical, q)).toBeGreaterThan(0.4);
    // Acceptance is Σ min(p, q) = 0.1 + 0.2 + 0.15 + 0.05 = 0.5.
    expect(accepted / n).toBeCloseTo(0.5, 1);
  });
});
