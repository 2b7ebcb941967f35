import { describe, expect, it } from "vitest";
import { breakEvenAlpha } from "../../core/theory/break-even-alpha.js";
import { expectedSpeedup, expectedTokensPerStep } from "../../core/theory/expected-speedup.js";
import { fitAlphaC } from "../../core/theory/fit-alpha-c.js";
import { theoryTable } from "../../core/theory/theory-table.js";

describe("expected tokens per step and speedup", () => {
  it.each([
    // (1 - α^(K+1)) / (1 - α), computed by hand.
    { alpha: 0.8, k: 8, tokens: (1 - 0.134217728) / 0.2 },
    { alpha: 0.8, k: 1, tokens: 1.8 },
    { alpha: 0.5, k: 2, tokens: 1.75 },
    { alpha: 0, k: 4, tokens: 1 },
    { alpha: 1, k: 4, tokens: 5 },
  ])("α $alpha, K $k → $tokens tokens/step", ({ alpha, k, tokens }) => {
    expect(expectedTokensPerStep(alpha, k)).toBeCloseTo(tokens, 12);
  });

  it("approaches K + 1 as α → 1", () => {
    expect(expectedTokensPerStep(1 - 1e-9, 4)).toBeCloseTo(5, 6);
  });

  it("divides by Kc + 1: α 0.8, c 0.05, K 8 → 4.32891136 / 1.4", () => {
    expect(expectedSpeedup(0.8, 0.05, 8)).toBeCloseTo(4.32891136 / 1.4, 12);
  });

  it.each([
    [() => expectedTokensPerStep(1.1, 2), /alpha/],
    [() => expectedTokensPerStep(0.5, 0), /K must/],
    [() => expectedSpeedup(0.5, -0.1, 2), /c must/],
  ])("refuses out-of-range input %#", (f, pattern) => {
    expect(f).toThrow(pattern);
  });
});

describe("theoryTable", () => {
  it("α 0.8, c 0.05, K ≤ 16: best K 8 with speedup 3.09 (hand: K7 3.0823, K8 3.0921, K9 3.0780)", () => {
    const t = theoryTable({ alpha: 0.8, c: 0.05, kMax: 16 });
    expect(t.rows).toHaveLength(16);
    expect(t.bestK).toBe(8);
    expect(t.bestSpeedup).toBeCloseTo(3.09, 2);
    expect(t.rows[6]?.speedup).toBeCloseTo((1 - 0.8 ** 8) / 0.2 / 1.35, 10);
    expect(t.rows[8]?.speedup).toBeCloseTo((1 - 0.8 ** 10) / 0.2 / 1.45, 10);
  });

  it("finds K 1 best when speculation does not pay", () => {
    const t = theoryTable({ alpha: 0.1, c: 0.5, kMax: 8 });
    expect(t.bestK).toBe(1);
    expect(t.bestSpeedup).toBeLessThan(1);
  });
});

describe("breakEvenAlpha", () => {
  it.each([
    // K = 1: (1 + α) / (c + 1) = 1 → α = c.
    { c: 0.05, k: 1, alpha: 0.05 },
    // K = 2: α² + α − 2c = 0 → α = (√(1 + 8c) − 1) / 2.
    { c: 0.05, k: 2, alpha: (Math.sqrt(1.4) - 1) / 2 },
    { c: 0.3, k: 2, alpha: (Math.sqrt(3.4) - 1) / 2 },
    { c: 0, k: 4, alpha: 0 },
    { c: 1, k: 3, alpha: 1 },
  ])("c $c, K $k → α $alpha", ({ c, k, alpha }) => {
    const found = breakEvenAlpha(c, k);
    expect(found).not.toBeNull();
    expect(found!).toBeCloseTo(alpha, 10);
    if (alpha > 0 && alpha < 1) expect(expectedSpeedup(found!, c, k)).toBeCloseTo(1, 10);
  });

  it("is null when no acceptance pays (c > 1)", () => {
    expect(breakEvenAlpha(1.5, 4)).toBeNull();
  });
});

describe("fitAlphaC", () => {
  const alpha = 0.7;
  const c = 0.12;
  const ks = [1, 2, 4, 6, 8];

  it("recovers α and c from exact tokens per step and speedup", () => {
    const fit = fitAlphaC(
      ks.map((k) => ({
        k,
        tokensPerStep: expectedTokensPerStep(alpha, k),
        speedup: expectedSpeedup(alpha, c, k),
      })),
    );
    expect(fit.alphaFrom).toBe("tokensPerStep");
    expect(fit.alpha).toBeCloseTo(alpha, 6);
    expect(fit.c).toBeCloseTo(c, 6);
    expect(fit.alphaRms).toBeLessThan(1e-6);
    expect(fit.cRms).toBeLessThan(1e-6);
    expect(fit.bestK).toBe(theoryTable({ alpha, c, kMax: 16 }).bestK);
    expect(fit.nAlpha).toBe(ks.length);
    expect(fit.nC).toBe(ks.length);
  });

  it("recovers α from acceptance rate = (tokens per step − 1) / K", () => {
    const fit = fitAlphaC(ks.map((k) => ({ k, acceptRate: (expectedTokensPerStep(alpha, k) - 1) / k })));
    expect(fit.alphaFrom).toBe("acceptRate");
    expect(fit.alpha).toBeCloseTo(alpha, 6);
    expect(fit.c).toBeUndefined();
  });

  it("reports a residual when the data do not follow the theory", () => {
    const fit = fitAlphaC([
      { k: 2, tokensPerStep: 2.5 },
      { k: 4, tokensPerStep: 2.0 },
    ]);
    expect(fit.alphaRms).toBeGreaterThan(0.1);
  });

  it("fits nothing without acceptance data", () => {
    expect(fitAlphaC([{ k: 2, speedup: 1.5 }])).toEqual({ nAlpha: 0, nC: 0 });
  });
});
