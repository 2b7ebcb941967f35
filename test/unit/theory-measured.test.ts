import { describe, expect, it } from "vitest";

import { poolAcceptance } from "../../core/stats/pool-acceptance.js";
import { breakEvenAlpha } from "../../core/theory/break-even-alpha.js";
import { expectedSpeedup, expectedSpeedupWithVerify } from "../../core/theory/expected-speedup.js";
import { geometricAlpha } from "../../core/theory/geometric-alpha.js";
import { measuredCost } from "../../core/theory/measured-cost.js";

describe("poolAcceptance", () => {
  it("is Σ accepted / Σ drafted, not the mean of the runs' rates", () => {
    const p = poolAcceptance([{ nAccept: 1, nDrafted: 10 }, { nAccept: 90, nDrafted: 100 }, { nAccept: 5 }]);
    expect(p).toEqual({ nAccept: 91, nDrafted: 110, rate: 91 / 110, runs: 2 });
    expect(poolAcceptance([{ nAccept: 0, nDrafted: 0 }]).rate).toBeUndefined();
  });
});

describe("geometricAlpha", () => {
  it("recovers α from a run that follows the theory", () => {
    // 100 steps at K=3, α = 0.6: accepted at position i in 100·0.6^(i+1) steps.
    const rates = [0.6, 0.36, 0.216];
    const r = geometricAlpha([
      { k: 3, nAccept: 100 * (0.6 + 0.36 + 0.216), nDrafted: 300, targetSteps: 100, acceptByPosition: rates },
    ]);
    expect(r!.alpha).toBeCloseTo(0.6, 12);
    expect(r!.rejectingSteps).toBeCloseTo(100 * (1 - 0.216), 9);
  });

  it("gives 1 for an identical draft and 0 for a draft never accepted", () => {
    expect(
      geometricAlpha([{ k: 4, nAccept: 80, nDrafted: 80, targetSteps: 20, acceptByPosition: [1, 1, 1, 1] }])!
        .alpha,
    ).toBe(1);
    expect(
      geometricAlpha([{ k: 2, nAccept: 0, nDrafted: 40, targetSteps: 20, acceptByPosition: [0, 0] }])!.alpha,
    ).toBe(0);
  });

  it("skips runs whose positions are incomplete, whose steps are unknown, or whose drafts were short", () => {
    expect(
      geometricAlpha([{ k: 4, nAccept: 10, nDrafted: 40, targetSteps: 10, acceptByPosition: [0.5, 0.2] }]),
    ).toBeUndefined();
    // the CLI tools report rates per position but no step count: a short p_min draft looks like a full one
    expect(
      geometricAlpha([{ k: 2, nAccept: 10, nDrafted: 40, acceptByPosition: [0.5, 0.2] }]),
    ).toBeUndefined();
    expect(
      geometricAlpha([
        { k: 4, nAccept: 10, nDrafted: 30, targetSteps: 10, acceptByPosition: [0.5, 0.3, 0.1, 0.1] },
      ]),
    ).toBeUndefined();
  });
});

describe("geometricAlpha from llama-server's per-position counts", () => {
  it("equals A / (A + R) when every draft had K positions", () => {
    // 100 drafts at K=3, α = 0.6: 60, 36 and 21.6 → whole counts 60, 36, 22
    const r = geometricAlpha([
      {
        k: 3,
        nAccept: 118,
        nDrafted: 300,
        acceptByPosition: [],
        counts: { drafts: 100, acceptedByPosition: [60, 36, 22] },
      },
    ])!;
    expect(r.alpha).toBeCloseTo(118 / (118 + (100 - 22)), 12);
  });

  it("uses only the positions every draft reached when drafts near the end were short", () => {
    // measured on the real server (target + draft-n0.02, K = 4, 48 tokens): 10 drafts, 39 drafted,
    // 37 accepted, [10, 10, 10, 7] by position; one token short, so positions 0-2 count: 30 of 30
    const r = geometricAlpha([
      {
        k: 4,
        nAccept: 37,
        nDrafted: 39,
        acceptByPosition: [],
        counts: { drafts: 10, acceptedByPosition: [10, 10, 10, 7] },
      },
    ])!;
    expect(r.alpha).toBe(1);
    expect(r.accepted).toBe(30);
    // 0 accepted over 20 full drafts: α = 0
    expect(
      geometricAlpha([
        {
          k: 2,
          nAccept: 0,
          nDrafted: 40,
          acceptByPosition: [],
          counts: { drafts: 20, acceptedByPosition: [0, 0] },
        },
      ])!.alpha,
    ).toBe(0);
  });

  it("skips a run with more missing draft tokens than K, or fewer positions than it needs", () => {
    const run = (nDrafted: number, a: number[]) =>
      geometricAlpha([
        { k: 4, nAccept: 5, nDrafted, acceptByPosition: [], counts: { drafts: 10, acceptedByPosition: a } },
      ]);
    expect(run(36, [5, 0, 0, 0])).toBeUndefined();
    expect(run(40, [5, 0])).toBeUndefined();
  });
});

describe("measuredCost and the theory with a verification cost", () => {
  it("takes c and v(K) from recorded times in baseline target passes", () => {
    // baseline: 10 ms per token; speculative K=4: 2 ms per draft token, 16 ms per verification step
    const cost = measuredCost(
      [{ draftMs: 400, nDrafted: 200, targetMs: 800, targetSteps: 50 }],
      [{ targetMs: 1000, targetSteps: 100 }],
    )!;
    expect(cost.targetPassMs).toBe(10);
    expect(cost.c).toBeCloseTo(0.2, 12);
    expect(cost.v).toBeCloseTo(1.6, 12);
    expect(measuredCost([{ draftMs: 1, nDrafted: 1 }], [{ targetMs: 1, targetSteps: 1 }])).toBeUndefined();
  });

  it("reduces to the textbook at v = 1, and a costlier verification raises break-even", () => {
    expect(expectedSpeedupWithVerify(0.7, 0.1, 1, 4)).toBeCloseTo(expectedSpeedup(0.7, 0.1, 4), 12);
    expect(breakEvenAlpha(0.1, 4, 1)).toBeCloseTo(breakEvenAlpha(0.1, 4)!, 12);
    expect(breakEvenAlpha(0.1, 4, 1.6)!).toBeGreaterThan(breakEvenAlpha(0.1, 4)!);
    expect(() => expectedSpeedupWithVerify(0.5, 0.1, 0, 2)).toThrow(/v must be/);
  });
});
