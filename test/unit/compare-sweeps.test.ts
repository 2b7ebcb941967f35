// compare verdicts on constructed sweeps whose true parameters are known.
import { describe, expect, it } from "vitest";

import { analyzeSweep } from "../../cli/report/analyze-sweep.js";
import { compareHosts } from "../../cli/report/compare-hosts.js";
import { compareSweeps } from "../../cli/report/compare-sweeps.js";
import type { StoredResult } from "../../cli/store/store-records.js";
import { DEFAULT_HOSTS, DEFAULT_PAIRS, type FakeSweepOptions } from "../support/fake-results.js";
import { fakeStored } from "../support/stored-results.js";

const stored = (opts: FakeSweepOptions): StoredResult[] => fakeStored({ repeats: 4, prompts: 2, ...opts });

const verdicts = (a: StoredResult[], b: StoredResult[]): Record<string, string> =>
  Object.fromEntries(compareSweeps("A", a, "B", b).metrics.map((m) => [m.metric, m.verdict]));

describe("compareSweeps", () => {
  const original = stored({ seed: 1, sweepId: "A" });

  it.each([
    [
      "a reproduction (same grid, new noise)",
      { seed: 2 },
      { decodeTps: "agree", acceptRate: "agree", speedup: "agree", aggregateTps: "agree" },
    ],
    [
      "a draft with another noise level (lower acceptance)",
      { seed: 3, pairs: DEFAULT_PAIRS.map((p) => ({ ...p, alpha0: p.alpha0 - 0.2 })) },
      { acceptRate: "differ", speedup: "differ" },
    ],
    [
      "slower GPUs (same acceptance)",
      { seed: 4, hosts: DEFAULT_HOSTS.map((h) => ({ ...h, targetStepMs: h.targetStepMs * 1.3 })) },
      { decodeTps: "differ", acceptRate: "agree", speedup: "agree" },
    ],
  ])("%s", (_name, change, expected) => {
    const other = stored({ sweepId: "B", ...change });
    expect(verdicts(original, other)).toMatchObject(expected);
  });

  it("matches cells by parameters, per host when the sweeps share hosts, and counts what has no partner", () => {
    const fewerK = stored({ seed: 5, sweepId: "B", ks: [1, 2] });
    const c = compareSweeps("A", original, "B", fewerK);
    expect(c.byHost).toBe(true);
    expect(c.onlyInB).toBe(0);
    expect(c.onlyInA).toBeGreaterThan(0);
    const moved = stored({
      seed: 6,
      sweepId: "B",
      hosts: DEFAULT_HOSTS.map((h) => ({ ...h, hostId: `${h.hostId}-new` })),
    });
    expect(compareSweeps("A", original, "B", moved).byHost).toBe(false);
  });

  it("calls a difference measured beside a CPU hog confounded by contention, naming the load", () => {
    // the same system on a host where a compile took the spare cores: 20% slower decode
    const slowed = stored({
      seed: 5,
      sweepId: "B",
      hosts: DEFAULT_HOSTS.map((h) => ({ ...h, targetStepMs: h.targetStepMs * 1.25 })),
    }).map((r) => ({
      ...r,
      metrics: {
        ...r.metrics!,
        noise: {
          loadAvg1: 3.2,
          cores: 2,
          otherCpuCores: 1.6,
          engineThreads: 1,
          idleCores: 0.4,
          ownCpuCores: 1,
          windowMs: 1000,
          contended: true,
          contendedReason: "other processes kept 1.60 of 2 cores busy during the cell",
        },
      },
    }));
    const c = compareSweeps("A", original, "B", slowed);
    const decode = c.metrics.find((m) => m.metric === "decodeTps")!;
    expect(decode.verdict).toBe("confounded");
    expect(decode.confoundedBy).toMatch(
      /^B: \d+ of \d+ runs ran under contention \(load average up to 3\.20; other processes kept up to 1\.60 of 2 cores busy\)$/,
    );
    expect(c.contention.b.contended).toBe(c.contention.b.runs);
    expect(c.contention.a.measured).toBe(0);
    // agreement stays agreement: contention only withholds a "differ"
    expect(c.metrics.find((m) => m.metric === "acceptRate")!.verdict).toBe("agree");
    // without the noise records the same numbers are a plain difference
    expect(
      verdicts(
        original,
        slowed.map((r) => ({ ...r, metrics: { ...r.metrics, noise: undefined } })),
      ).decodeTps,
    ).toBe("differ");
  });

  it("leaves invalid results out of the comparison", () => {
    const broken = original.map((r) =>
      r.cell?.kind === "speculative" ? { ...r, status: "invalid" as const } : r,
    );
    const c = compareSweeps("A", original, "B", broken);
    expect(c.metrics.map((m) => m.metric)).not.toContain("acceptRate");
  });
});

describe("compareHosts", () => {
  it("puts each host's figures for the same cells side by side", () => {
    const results = stored({ seed: 7 });
    const hc = compareHosts(analyzeSweep("A", results));
    expect(hc.hosts).toEqual(["host-a100", "host-l4"]);
    expect(hc.rows.length).toBe(DEFAULT_PAIRS.length * 3);
    for (const row of hc.rows) {
      const fast = row.hosts["host-a100"]!;
      const slow = row.hosts["host-l4"]!;
      // The fake A100 runs the target's step in 20 ms, the L4 in 45 ms.
      expect(fast.baselineTps!).toBeGreaterThan(slow.baselineTps!);
      expect(fast.bestK).not.toBeNull();
      expect(fast.speedupCi95![0]).toBeLessThanOrEqual(fast.speedup!);
    }
  });
});
