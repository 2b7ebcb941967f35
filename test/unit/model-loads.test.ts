// The report's model-load line: results sharing a loadId shared one load (counted once, its time once); a
// result without a loadId is a load of its own; hosts are kept apart.
import { describe, expect, it } from "vitest";
import { describeUnrecorded } from "../../cli/report/host-charts.js";
import { describeLoads, modelLoads } from "../../cli/report/model-loads.js";
import type { StoredResult } from "../../cli/store/store-records.js";
import type { CellMetrics } from "../../core/metrics.js";

function result(
  hostId: string,
  cellId: string,
  m: Partial<CellMetrics>,
  at: { startedAt: string; finishedAt: string } = {
    startedAt: "2026-12-03T00:00:00Z",
    finishedAt: "2026-12-03T00:00:01Z",
  },
): StoredResult {
  return {
    sweepId: "sw",
    cellId,
    hostId,
    shardId: "s",
    status: "ok",
    attempt: 1,
    engine: "llama-server",
    ...at,
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
      {
        hostId: "a",
        loads: 3,
        loadMs: 3500,
        warmups: 0,
        warmupMs: 0,
        cellMs: 600,
        decodeMs: 400,
        promptMs: 0,
        promptResults: 0,
        promptOverlapResults: 0,
        cellResults: 4,
        results: 4,
        spanMs: 1000,
      },
      {
        hostId: "b",
        loads: 0,
        loadMs: 0,
        warmups: 0,
        warmupMs: 0,
        cellMs: 150,
        decodeMs: 100,
        promptMs: 0,
        promptResults: 0,
        promptOverlapResults: 0,
        cellResults: 1,
        results: 0,
        spanMs: 1000,
      },
    ]);
    expect(describeLoads(loads[0]!)).toBe(
      "a: 3 model load(s) taking 3.5 s in all, against 0.6 s in cells (0.4 s generating): loading was 85.4% of the measured time.",
    );
    expect(describeLoads(loads[1]!)).toContain("no result reported a model load time");
  });

  it("counts each warm-up once, sums prompt time timed apart from generation, spans first start to last end", () => {
    const at = (from: number, to: number): { startedAt: string; finishedAt: string } => ({
      startedAt: new Date(Date.UTC(2026, 11, 3, 0, 0, from)).toISOString(),
      finishedAt: new Date(Date.UTC(2026, 11, 3, 0, 0, to)).toISOString(),
    });
    const warm = { nDecoded: 16, wallMs: 480.5, decodeTps: 33 };
    const [l] = modelLoads([
      // one llama-cli session: a warm-up shared by tool processes that are each a load of their own
      result("a", "c1", { loadId: "P1", loadMs: 900, warmup: warm, promptMs: 40 }, at(10, 12)),
      result("a", "c2", { loadId: "P2", loadMs: 800, warmup: { ...warm } }, at(12, 14)),
      // a parallel cell: its sequences' prompt and generation times overlap (40 + 100 > 120 ms of wall)
      result("a", "c4", { loadId: "S1", loadMs: 2000, promptMs: 40, wallMs: 120 }, at(14, 15)),
      // a second load with a warm-up of its own
      result(
        "a",
        "c3",
        { loadId: "S1", loadMs: 2000, warmup: { nDecoded: 16, wallMs: 300 }, promptMs: 25 },
        at(20, 25),
      ),
    ]);
    expect(l).toMatchObject({
      loads: 3,
      loadMs: 3700,
      warmups: 2,
      warmupMs: 780.5,
      promptMs: 65,
      promptResults: 2,
      promptOverlapResults: 1,
      cellResults: 4,
      spanMs: 15_000,
    });
    expect(describeUnrecorded(l!)).toBe(
      "a: 1 result(s) processed prompts while generating (concurrent sequences), so their prompt time overlaps their generation and is not drawn.",
    );
  });
});
