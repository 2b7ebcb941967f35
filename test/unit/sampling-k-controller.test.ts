import { describe, expect, it } from "vitest";
import type { KPolicy } from "../../core/cell.js";
import { createKController } from "../../core/sampling/k-controller.js";

const adaptive = (over: Partial<Extract<KPolicy, { kind: "adaptive" }>> = {}): KPolicy => ({
  kind: "adaptive",
  kMin: 1,
  kMax: 6,
  kStart: 3,
  raiseAbove: 0.8,
  lowerBelow: 0.4,
  ...over,
});

describe("K controllers", () => {
  it("fixed K never moves and its mean is K", () => {
    const c = createKController({ kind: "fixed", k: 5 });
    c.record(5, 0);
    c.record(5, 5);
    expect(c.k).toBe(5);
    expect(c.meanK).toBe(5);
  });

  it.each([
    {
      name: "high acceptance raises K one step per full window",
      steps: [
        [3, 3],
        [3, 3],
        [3, 3],
      ],
      wantK: 4,
    },
    {
      name: "low acceptance lowers K",
      steps: [
        [3, 0],
        [3, 1],
        [3, 0],
      ],
      wantK: 2,
    },
    {
      name: "acceptance between the thresholds holds K",
      steps: [
        [3, 2],
        [3, 2],
        [3, 2],
      ],
      wantK: 3,
    },
    {
      name: "nothing changes before the window is full",
      steps: [
        [3, 3],
        [3, 3],
      ],
      wantK: 3,
    },
  ])("adaptive: $name", ({ steps, wantK }) => {
    const c = createKController(adaptive(), { windowSteps: 3 });
    for (const [drafted, accepted] of steps) c.record(drafted!, accepted!);
    expect(c.k).toBe(wantK);
  });

  it("adaptive K stays within [kMin, kMax] and meanK averages the K of each step", () => {
    const up = createKController(adaptive({ kMax: 4 }), { windowSteps: 1 });
    const ks: number[] = [];
    for (let i = 0; i < 5; i++) {
      ks.push(up.k);
      up.record(up.k, up.k);
    }
    expect(ks).toEqual([3, 4, 4, 4, 4]);
    expect(up.meanK).toBeCloseTo(19 / 5, 12);

    const down = createKController(adaptive({ kMin: 2 }), { windowSteps: 1 });
    for (let i = 0; i < 5; i++) down.record(down.k, 0);
    expect(down.k).toBe(2);
  });

  it("the thresholds are configurable", () => {
    const strict = createKController(adaptive({ raiseAbove: 0.99, lowerBelow: 0.9 }), { windowSteps: 1 });
    strict.record(3, 2); // 0.67 < 0.9 → lower
    expect(strict.k).toBe(2);
  });

  const fixedZero: KPolicy = { kind: "fixed", k: 0 };
  it.each([
    { policy: fixedZero, error: /fixed K must be an integer >= 1/ },
    { policy: adaptive({ kMin: 0 }), error: /kMin/ },
    { policy: adaptive({ kMax: 0 }), error: /kMax/ },
    { policy: adaptive({ kStart: 9 }), error: /kStart/ },
    { policy: adaptive({ raiseAbove: 0.3, lowerBelow: 0.5 }), error: /lowerBelow < raiseAbove/ },
  ])("refuses a bad policy: $error", ({ policy, error }) => {
    expect(() => createKController(policy)).toThrow(error);
  });
});
