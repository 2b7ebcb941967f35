// Finds the baseline run a speculative run's speedup divides by. Sweeps planned with ABAB pairing give every
// speculative cell a baseline cell of its own (`pairedWith` = the speculative cellId, core/plan/plan-sweep);
// sweeps planned before that have one baseline per (target, temperature, prompt, seed, repeat) shared by
// every K, found by that key. Both on the same host only.
import type { Cell } from "../cell.js";

export interface PairableResult {
  hostId: string;
  cellId: string;
  cell: Cell;
}

const sharedKey = (hostId: string, c: Cell): string =>
  [hostId, c.target.name, c.temperature, c.promptHash, c.seed, c.repeat].join("|");

/** Builds the lookup over a sweep's (valid) results; the returned function gives a run's baseline partner. */
export function baselinePartner<R extends PairableResult>(results: readonly R[]): (r: R) => R | undefined {
  const byRun = new Map<string, R>();
  const shared = new Map<string, R>();
  for (const r of results) {
    if (r.cell.kind !== "baseline") continue;
    if (r.cell.pairedWith !== undefined) byRun.set(`${r.hostId}|${r.cell.pairedWith}`, r);
    else shared.set(sharedKey(r.hostId, r.cell), r);
  }
  return (r) => byRun.get(`${r.hostId}|${r.cellId}`) ?? shared.get(sharedKey(r.hostId, r.cell));
}
