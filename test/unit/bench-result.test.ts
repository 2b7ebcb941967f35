// The bench runner's statistics and the JSON shape of a benchmark line (no timing here: figures are given).
import { describe, expect, it } from "vitest";
import { benchResult, meetsTarget, quantile, runStats } from "../bench/bench-result.js";

describe("runStats", () => {
  it.each([
    { samples: [5], median: 5, min: 5, max: 5 },
    { samples: [3, 1, 2], median: 2, min: 1, max: 3 },
    { samples: [4, 1, 3, 2], median: 2.5, min: 1, max: 4 },
    { samples: [10, 10, 1, 10], median: 10, min: 1, max: 10 },
  ])("$samples → median $median", ({ samples, median, min, max }) => {
    expect(runStats(samples)).toEqual({ median, min, max, runs: samples.length });
  });

  it("refuses no samples and non-finite ones instead of printing a number nobody measured", () => {
    expect(() => runStats([])).toThrow(/at least one/);
    expect(() => runStats([1, Number.NaN])).toThrow(/non-finite/);
    expect(() => runStats([Number.POSITIVE_INFINITY])).toThrow(/non-finite/);
  });
});

describe("quantile (nearest rank)", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
  it.each([
    { q: 0.5, want: 50 },
    { q: 0.99, want: 99 },
    { q: 1, want: 100 },
    { q: 0, want: 1 },
  ])("q=$q of 1..100 is $want", ({ q, want }) => {
    expect(quantile(hundred, q)).toBe(want);
  });
});

describe("benchResult", () => {
  it.each([
    { direction: "below" as const, value: 10, x: 9, meets: true },
    { direction: "below" as const, value: 10, x: 10, meets: false },
    { direction: "at-least" as const, value: 10, x: 10, meets: true },
    { direction: "at-least" as const, value: 10, x: 9.99, meets: false },
  ])("$direction $value with $x → $meets", ({ direction, value, x, meets }) => {
    expect(meetsTarget(x, { direction, value })).toBe(meets);
  });

  it("has the issue's fields, extra figures after them, and meets only when every target holds", () => {
    const r = benchResult(
      "plan-100k",
      "ms",
      [900, 700, 800],
      { direction: "below", value: 1000 },
      {
        peak_rss_mib_max: 320,
        // an extra field may not overwrite a core one
        median: -1,
      },
      [{ text: "peak RSS < 300 MiB", meets: false }],
    );
    expect(Object.keys(r).slice(0, 8)).toEqual([
      "name",
      "unit",
      "median",
      "min",
      "max",
      "runs",
      "target",
      "meets",
    ]);
    expect(r).toMatchObject({
      name: "plan-100k",
      unit: "ms",
      median: 800,
      min: 700,
      max: 900,
      runs: 3,
      target: "< 1000 ms; peak RSS < 300 MiB",
      meets: false,
      peak_rss_mib_max: 320,
    });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it("says 'none' where the issue sets no target, and then meets", () => {
    const r = benchResult("engine", "tokens/s", [12, 14], undefined);
    expect(r.target).toBe("none");
    expect(r.meets).toBe(true);
    expect(r.median).toBe(13);
  });
});
