// A fake sweep of at least 100,000 results for the store and report benchmarks. fakeSweep (test/support)
// grows quadratically with its grid, so a small one is built once and copied as further repeats: each copy
// shifts the repeat index and seed (new cell ids) and scales throughput by a small fixed factor, so the
// report's intervals are over varied samples.
import { createHash } from "node:crypto";
import type { Cell } from "../../core/cell.js";
import type { CellResult } from "../../core/metrics.js";
import { fakeSweep, type FakeSweep } from "../support/fake-results.js";

const BASE_REPEATS = 10;

export function sweepOfAtLeast(minResults: number, sweepId = "sw-bench"): FakeSweep {
  const base = fakeSweep({ seed: 7, sweepId, prompts: 2, repeats: BASE_REPEATS, invalidFraction: 0.02 });
  const copies = Math.ceil(minResults / base.results.length);
  const cells: Cell[] = [];
  const results: CellResult[] = [];
  for (let c = 0; c < copies; c++) {
    const idOf = (cellId: string): string =>
      c === 0 ? cellId : createHash("sha256").update(`${cellId}:${c}`).digest("hex").slice(0, 32);
    for (const cell of base.cells) {
      cells.push({
        ...cell,
        cellId: idOf(cell.cellId),
        repeat: cell.repeat + c * BASE_REPEATS,
        seed: cell.seed + c * BASE_REPEATS,
      });
    }
    // -4 % .. +4 % in a fixed pattern: deterministic, not all copies alike
    const factor = 1 + (((c * 7919) % 9) - 4) / 100;
    for (const r of base.results) {
      const m = r.outcome.metrics;
      results.push({
        ...r,
        cellId: idOf(r.cellId),
        outcome: {
          ...r.outcome,
          ...(m === undefined
            ? {}
            : { metrics: { ...m, decodeTps: m.decodeTps * factor, decodeMs: m.decodeMs / factor } }),
        },
      });
    }
  }
  return { ...base, cells, results };
}
