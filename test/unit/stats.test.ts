import { describe, expect, it } from "vitest";
import { agreeWithinNoise } from "../../core/stats/agree-within-noise.js";
import { bootstrapRatioCi } from "../../core/stats/bootstrap-ratio-ci.js";
import { studentTCdf, studentTQuantile } from "../../core/stats/student-t.js";
import { summarize } from "../../core/stats/summarize.js";

describe("Student's t", () => {
  // Two-sided 95% critical values from printed t tables.
  it.each([
    [1, 12.7062],
    [2, 4.3027],
    [3, 3.1824],
    [5, 2.5706],
    [10, 2.2281],
    [30, 2.0423],
    [120, 1.9799],
  ])("t(0.975, df %i) = %f", (df, t) => {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 4);
    expect(studentTCdf(t, df)).toBeCloseTo(0.975, 4);
  });

  it("is symmetric around 0", () => {
    expect(studentTCdf(0, 7)).toBeCloseTo(0.5, 12);
    expect(studentTQuantile(0.05, 4)).toBeCloseTo(-2.1318, 4);
    expect(studentTQuantile(0.5, 4)).toBe(0);
  });
});

describe("summarize", () => {
  it("gives mean, sample sd and the t interval (hand-computed)", () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    // mean 40/8 = 5; sum of squares 32; sd = √(32/7); half-width = t(0.975, 7) × sd / √8.
    const sd = Math.sqrt(32 / 7);
    const half = 2.364624252 * (sd / Math.sqrt(8));
    expect(s.n).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.sd).toBeCloseTo(sd, 12);
    expect(s.ci95[0]).toBeCloseTo(5 - half, 6);
    expect(s.ci95[1]).toBeCloseTo(5 + half, 6);
  });

  it.each([
    [[], 0],
    [[3], 1],
  ])("has no spread for %j", (xs, n) => {
    const s = summarize(xs);
    expect(s.n).toBe(n);
    expect(s.sd).toBeNaN();
    expect(s.ci95[0]).toBeNaN();
  });

  it("has a zero-width interval for identical values", () => {
    expect(summarize([4, 4, 4]).ci95).toEqual([4, 4]);
  });
});

describe("bootstrapRatioCi", () => {
  const spec = [30.1, 31.5, 29.8, 30.9, 31.2, 30.4];
  const base = [20.2, 20.9, 19.8, 20.5, 21.0, 20.1];

  it("is reproducible for a seed and brackets the point ratio", () => {
    const a = bootstrapRatioCi(spec, base, { seed: 7, iterations: 2000 });
    const b = bootstrapRatioCi(spec, base, { seed: 7, iterations: 2000 });
    expect(a).toEqual(b);
    const point = spec.reduce((x, y) => x + y) / base.reduce((x, y) => x + y);
    expect(a[0]).toBeLessThan(point);
    expect(a[1]).toBeGreaterThan(point);
  });

  it("collapses to the ratio for constant data", () => {
    const [lo, hi] = bootstrapRatioCi([3, 3, 3], [2, 2, 2], { seed: 1, iterations: 200 });
    expect(lo).toBeCloseTo(1.5, 12);
    expect(hi).toBeCloseTo(1.5, 12);
  });

  it("resamples sides apart when lengths differ, and refuses a forced pairing", () => {
    const [lo, hi] = bootstrapRatioCi([3, 4, 5], [2, 2], { seed: 1, iterations: 500 });
    expect(lo).toBeLessThanOrEqual(2);
    expect(hi).toBeGreaterThanOrEqual(2);
    expect(() => bootstrapRatioCi([1, 2], [1], { seed: 1, iterations: 10, paired: true })).toThrow(
      /equal lengths/,
    );
    expect(bootstrapRatioCi([], [1], { seed: 1, iterations: 10 })[0]).toBeNaN();
  });
});

describe("agreeWithinNoise", () => {
  it("matches a hand-computed Welch interval", () => {
    // a = 1,2,3 and b = 4,5,6: means 2 and 5, variances 1, se = √(2/3), Welch df = 4, t = 2.776445.
    const r = agreeWithinNoise([1, 2, 3], [4, 5, 6]);
    const half = 2.776445105 * Math.sqrt(2 / 3);
    expect(r.ratio).toBe(2.5);
    expect(r.ci95[0]).toBeCloseTo(1 + (3 - half) / 2, 6);
    expect(r.ci95[1]).toBeCloseTo(1 + (3 + half) / 2, 6);
    expect(r.verdict).toBe("differ");
  });

  it.each([
    {
      name: "noisy runs around the same mean",
      a: [100, 90, 110, 105],
      b: [95, 108, 99, 102],
      verdict: "agree",
    },
    { name: "a clear 20% shift", a: [100, 101, 99], b: [120, 121, 119], verdict: "differ" },
    {
      name: "a real but negligible 1% shift in precise runs",
      a: [100, 100.1, 99.9],
      b: [101, 101.1, 100.9],
      verdict: "agree",
    },
    { name: "single values within tolerance", a: [100], b: [103], verdict: "agree" },
    { name: "single values beyond tolerance", a: [100], b: [110], verdict: "differ" },
  ] as const)("$name → $verdict", ({ a, b, verdict }) => {
    expect(agreeWithinNoise(a, b).verdict).toBe(verdict);
  });

  it("honours the tolerance and refuses empty input", () => {
    expect(agreeWithinNoise([100], [110], { tolerance: 0.15 }).verdict).toBe("agree");
    expect(() => agreeWithinNoise([], [1])).toThrow(RangeError);
  });
});
