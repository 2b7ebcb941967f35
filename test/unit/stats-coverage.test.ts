// Coverage simulation: do the 95% speedup intervals contain the true speedup 95% of the time with the few
// repeats sweeps run? Paired runs share a host-drift factor (what pairing cancels) and get their own
// multiplicative noise; the true speedup is known. Deterministic seed, so the figures are the same on every
// run (numbers in docs/metrics.md).
import { describe, expect, it } from "vitest";

import { bootstrapRatioCi } from "../../core/stats/bootstrap-ratio-ci.js";
import { ratioInterval } from "../../core/stats/ratio-interval.js";
import { seededRandom } from "../../core/stats/seeded-random.js";
import { summarizeRate } from "../../core/stats/summarize-rate.js";

const SIMULATIONS = 4000;
const TRUE_SPEEDUP = 1.3;

function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-300))) * Math.cos(2 * Math.PI * random());
}

interface Scenario {
  /** sd of the log drift shared by a pair (host load changing between repeats). */
  drift: number;
  /** sd of each run's own log noise. */
  noise: number;
}

function simulate(
  n: number,
  s: Scenario,
  seed: number,
  interval: (spec: number[], base: number[], i: number) => [number, number],
): number {
  const z = gaussian(seededRandom(seed));
  let covered = 0;
  for (let i = 0; i < SIMULATIONS; i++) {
    const spec: number[] = [];
    const base: number[] = [];
    for (let j = 0; j < n; j++) {
      const host = s.drift * z();
      base.push(100 * Math.exp(host + s.noise * z()));
      spec.push(100 * TRUE_SPEEDUP * Math.exp(host + s.noise * z()));
    }
    const [lo, hi] = interval(spec, base, i);
    if (lo <= TRUE_SPEEDUP && TRUE_SPEEDUP <= hi) covered++;
  }
  return covered / SIMULATIONS;
}

const noisyHost: Scenario = { drift: 0.25, noise: 0.08 };
const quietHost: Scenario = { drift: 0.02, noise: 0.03 };

describe("speedup interval coverage (paired log-ratio t)", () => {
  it.each([
    [4, "noisy", noisyHost],
    [10, "noisy", noisyHost],
    [4, "quiet", quietHost],
    [10, "quiet", quietHost],
  ] as const)("n = %i on a %s host covers at least 93%%", (n, _name, scenario) => {
    const coverage = simulate(n, scenario, 20261203 + n, (spec, base) => ratioInterval(spec, base).ci95);
    expect(coverage).toBeGreaterThanOrEqual(0.93);
    expect(coverage).toBeLessThanOrEqual(0.97);
  });

  it("unpaired (Welch on the logs) also covers at least 93% at n = 4 and n = 10", () => {
    for (const n of [4, 10]) {
      const coverage = simulate(
        n,
        quietHost,
        7 + n,
        (spec, base) => ratioInterval(spec, base, { paired: false }).ci95,
      );
      expect(coverage, `n = ${n}`).toBeGreaterThanOrEqual(0.93);
    }
  });

  it("the percentile bootstrap it replaced covers far less at n = 4", () => {
    const coverage = simulate(4, noisyHost, 20261207, (spec, base, i) =>
      bootstrapRatioCi(spec, base, { seed: i, iterations: 400, paired: true }),
    );
    expect(coverage).toBeLessThan(0.88);
  });
});

describe("ratioInterval", () => {
  it("matches a hand-computed paired interval", () => {
    // log ratios ln 2, ln 2, ln 4 (mean ln 2.5198, sd of logs √((2·(ln2 - m)² + (ln4 - m)²)/2))
    const r = ratioInterval([2, 4, 8], [1, 2, 2]);
    const logs = [Math.log(2), Math.log(2), Math.log(4)];
    const m = logs.reduce((a, b) => a + b) / 3;
    const sd = Math.sqrt(logs.reduce((a, x) => a + (x - m) ** 2, 0) / 2);
    const half = 4.302652729749464 * (sd / Math.sqrt(3));
    expect(r.method).toBe("paired-log-t");
    expect(r.ratio).toBeCloseTo(Math.exp(m), 12);
    expect(r.ci95[0]).toBeCloseTo(Math.exp(m - half), 6);
    expect(r.ci95[1]).toBeCloseTo(Math.exp(m + half), 6);
  });

  it("has no interval with one pair, drops zero rates, and refuses forced pairings of unequal lengths", () => {
    const one = ratioInterval([3], [2]);
    expect(one.ratio).toBeCloseTo(1.5, 12);
    expect(one.ci95[0]).toBeNaN();
    const zero = ratioInterval([0, 3, 6], [1, 2, 4]);
    expect(zero).toMatchObject({ n: 2, dropped: 1, ratio: 1.5 });
    expect(() => ratioInterval([1, 2], [1], { paired: true })).toThrow(/equal lengths/);
    expect(ratioInterval([], [1]).ratio).toBeNaN();
  });
});

describe("summarizeRate", () => {
  it("never reaches below 0 t/s, even on the issue's noisy baseline", () => {
    // Four baselines whose normal interval is roughly the issue's [-400.6, 1249.8].
    const xs = [90, 110, 1250, 248];
    const s = summarizeRate(xs);
    expect(s.ci95[0]).toBeGreaterThan(0);
    expect(s.ci95[0]).toBeLessThan(s.geoMean);
    expect(s.ci95[1]).toBeGreaterThan(s.geoMean);
    expect(s.ciScale).toBe("log");
    expect(s.mean).toBe(424.5);
  });

  it("truncates at 0 and says so when a rate is 0", () => {
    const s = summarizeRate([0, 50, 100]);
    expect(s.ciScale).toBe("truncated");
    expect(s.ci95[0]).toBe(0);
  });
});
