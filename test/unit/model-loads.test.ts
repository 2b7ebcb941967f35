// The report's model-load line: results sharing a loadId shared one load (counted once, its time once); a
// result without a loadId is a load of its own; hosts are kept apart.
import { describe, expect, it } from "vitest";
import { describeLoads, modelLoads } from "../../cli/report/model-loads.js";
import type { StoredResult } from "../../cli/store/store-records.js";
import type { CellMetrics } from "../../core/metrics.js";

function result(hostId: string, cellId: string, m: Partial<CellMetrics>): StoredResult {
  return {
    sweepId: "sw",
    cellId,
    hostId,
    shardId: "s",
    status: "ok",
    attempt: 1,
    engine: "llama-server",
    startedAt: "2026-12-03T00:00:00Z",
    finishedAt: "2026-12-03T00:00:01Z",
    metrics: { nDecoded: 10, decodeMs: 100, decodeTps: 100, wallMs: 150, ...m },
  };
}

describe("modelLoads", () => {
  it("counts each load once and sets its time against the time in cells", () => {
    const loads = modelLoads([
      result("a", "c1", { loadId: "L1", loadMs: 2000 }),
      result("a", "c2", { loadId: "L1", loadMs: 2000 }),
      result("a", "c3", { loadId: "L2", loadMs: 1000 }),
      result("a", "c4", { loadMs: 500 }),
      result("b", "c5", {}),
    ]);
    expect(loads).toEqual([
      { hostId: "a", loads: 3, loadMs: 3500, cellMs: 600, decodeMs: 400, results: 4 },
      { hostId: "b", loads: 0, loadMs: 0, cellMs: 150, decodeMs: 100, results: 0 },
    ]);
    expect(describeLoads(loads[0]!)).toBe(
      "a: 3 model load(s) taking 3.5 s in all, against 0.6 s in cells (0.4 s generating): loading was 85.4% of the measured time.",
    );
    expect(describeLoads(loads[1]!)).toContain("no result reported a model load time");
  });
});
