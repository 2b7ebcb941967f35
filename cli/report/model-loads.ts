// Where a host's time went between loading models and running cells: distinct loads (a server start, an
// in-process session, a tool process; results sharing a loadId shared the load), the load time each took
// once, and the time in cells (Σ wall time, prompt processing and generation) of the results that carry it.
import type { StoredResult } from "../store/store-records.js";

export interface HostLoads {
  hostId: string;
  /** Distinct loads that ran this host's results (one per loadId; a result without one is its own load). */
  loads: number;
  /** Σ load time over those loads, each counted once, ms. */
  loadMs: number;
  /** Σ cell wall time of the results with metrics, ms. */
  cellMs: number;
  /** Σ decode (generation) time, ms. */
  decodeMs: number;
  /** Results that reported a load time. */
  results: number;
}

export function modelLoads(results: readonly StoredResult[]): HostLoads[] {
  const byHost = new Map<
    string,
    { loads: Map<string, number>; cellMs: number; decodeMs: number; results: number }
  >();
  for (const r of results) {
    const m = r.metrics;
    if (m === undefined) continue;
    let h = byHost.get(r.hostId);
    if (h === undefined) byHost.set(r.hostId, (h = { loads: new Map(), cellMs: 0, decodeMs: 0, results: 0 }));
    h.cellMs += m.wallMs;
    h.decodeMs += m.decodeMs;
    if (m.loadMs === undefined) continue;
    h.results++;
    const id = m.loadId ?? `${r.cellId}#${r.attempt}`;
    if (!h.loads.has(id)) h.loads.set(id, m.loadMs);
  }
  return [...byHost.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([hostId, h]) => ({
      hostId,
      loads: h.loads.size,
      loadMs: [...h.loads.values()].reduce((s, x) => s + x, 0),
      cellMs: h.cellMs,
      decodeMs: h.decodeMs,
      results: h.results,
    }));
}

/** One sentence per host for the report's "What ran". */
export function describeLoads(l: HostLoads): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  if (l.results === 0) return `${l.hostId}: no result reported a model load time.`;
  const share = l.loadMs + l.cellMs > 0 ? (100 * l.loadMs) / (l.loadMs + l.cellMs) : 0;
  return (
    `${l.hostId}: ${l.loads} model load(s) taking ${s(l.loadMs)} in all, against ${s(l.cellMs)} in cells ` +
    `(${s(l.decodeMs)} generating): loading was ${share.toFixed(1)}% of the measured time.`
  );
}
