import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { kLabel, kValue, pairLabel } from "../../core/cell.js";
import {
  acceptRate,
  acceptRateByPosition,
  pooledMean,
  tokensPerStep,
  tokensSha256,
} from "../../core/metrics.js";

describe("derived metrics (core/metrics.ts)", () => {
  it("acceptRate is nAccept / nDrafted, undefined when nothing was drafted or a count is not whole", () => {
    expect(acceptRate(3, 4)).toBe(0.75);
    expect(acceptRate(0, 4)).toBe(0);
    expect(acceptRate(0, 0)).toBeUndefined();
    expect(acceptRate(1, 8e-323)).toBeUndefined();
    expect(acceptRate(0.5, 2)).toBeUndefined();
  });

  it("acceptRateByPosition divides each position's counts and ends where nothing was drafted", () => {
    expect(acceptRateByPosition([8, 3, 0], [10, 6, 0])).toEqual([0.8, 0.5]);
    expect(acceptRateByPosition([], [])).toEqual([]);
  });

  it("tokensPerStep is nDecoded / targetSteps, undefined at zero steps", () => {
    expect(tokensPerStep(30, 10)).toBe(3);
    expect(tokensPerStep(0, 0)).toBeUndefined();
  });

  it("tokensSha256 hashes the comma-joined ids", () => {
    expect(tokensSha256([1, 22, 333])).toBe(createHash("sha256").update("1,22,333").digest("hex"));
    expect(tokensSha256([12, 3])).not.toBe(tokensSha256([1, 23]));
  });

  it("pooledMean weighs each group by its runs and skips empty groups", () => {
    const pooled = pooledMean([
      { mean: 0.5, n: 1 },
      { mean: 0.75, n: 3 },
      { mean: Number.NaN, n: 0 },
    ]);
    expect(pooled).toEqual({ mean: 0.6875, n: 4 });
    expect(pooledMean([{ mean: Number.NaN, n: 0 }])).toEqual({ n: 0 });
    expect(pooledMean([])).toEqual({ n: 0 });
  });
});

describe("K and pair labels (core/cell.ts)", () => {
  const adaptive = {
    kind: "adaptive",
    kMin: 1,
    kMax: 8,
    kStart: 4,
    raiseAbove: 0.8,
    lowerBelow: 0.4,
  } as const;
  it("kValue is the fixed K or the adaptive kMax", () => {
    expect(kValue({ kind: "fixed", k: 4 })).toBe(4);
    expect(kValue(adaptive)).toBe(8);
    expect(kValue(undefined)).toBeUndefined();
  });
  it("kLabel names the policy", () => {
    expect(kLabel({ kind: "fixed", k: 4 })).toBe("4");
    expect(kLabel(adaptive)).toBe("adaptive 1-8");
    expect(kLabel(undefined)).toBe("");
  });
  it("pairLabel is target+draft, or the target alone", () => {
    expect(pairLabel("big", "small")).toBe("big+small");
    expect(pairLabel("big")).toBe("big");
  });
});
