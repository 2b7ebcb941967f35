import { describe, expect, it } from "vitest";
import { idealMakespanMs, idleWhileWaiting, overlapMs } from "../bench/fleet-figures.js";

describe("fleet benchmark figures", () => {
  it.each([
    { a: [0, 10], iv: [], want: 0 },
    { a: [0, 10], iv: [[2, 4]], want: 2 },
    {
      a: [0, 10],
      iv: [
        [-5, 3],
        [8, 20],
      ],
      want: 5,
    },
    // overlapping intervals count once
    {
      a: [0, 10],
      iv: [
        [1, 6],
        [4, 7],
      ],
      want: 6,
    },
    {
      a: [0, 10],
      iv: [
        [4, 7],
        [1, 6],
      ],
      want: 6,
    },
    { a: [0, 10], iv: [[12, 15]], want: 0 },
  ] as { a: [number, number]; iv: [number, number][]; want: number }[])(
    "overlap of $a with $iv is $want",
    ({ a, iv, want }) => expect(overlapMs(a[0], a[1], iv)).toBe(want),
  );

  it("counts idle time only while one of the agent's pools had work waiting", () => {
    const samples = [
      { atMs: 0, waiting: new Set(["p1"]) },
      { atMs: 10, waiting: new Set(["other"]) },
      { atMs: 20, waiting: new Set(["p1", "other"]) },
      { atMs: 30, waiting: new Set<string>() },
    ];
    // busy 0-6 and 25-40: idle 4 of the first 10 ms, 5 of the third, nothing counted in the second
    const r = idleWhileWaiting(
      samples,
      new Set(["p1"]),
      [
        [0, 6],
        [25, 40],
      ],
      0,
      40,
    );
    expect(r).toEqual({ waitingMs: 20, idleMs: 9 });
    // clipped to the measured span
    expect(idleWhileWaiting(samples, new Set(["p1"]), [], 5, 25)).toEqual({ waitingMs: 10, idleMs: 10 });
  });

  it("ideal makespan divides the work by the fleet's capacity", () => {
    // 3 fast hosts and one 3× slower: capacity 3 + 1/3
    expect(idealMakespanMs(10_000, [1, 1, 1, 3])).toBeCloseTo(3_000, 9);
    expect(() => idealMakespanMs(1, [])).toThrow(/at least one agent/);
  });
});
