// Where a host's time went between loading models and running cells: distinct loads (a server start, an
// in-process session, a tool process; results sharing a loadId shared the load), the load and warm-up time
// each took once, and the time in cells (Σ wall time, prompt processing and generation) of the results that
// carry it. Only what the engines record is summed: idle time is not recorded, so none is derived here.
import type { StoredResult } from "../store/store-records.js";

export interface HostLoads {
  hostId: string;
  /** Distinct loads that ran this host's results (one per loadId; a result without one is its own load). */
  loads: number;
  /** Σ load time over those loads, each counted once, ms. */
  loadMs: number;
  /** Distinct discarded warm-up generations the results recorded. */
  warmups: number;
  /** Σ their wall time, each counted once, ms. */
  warmupMs: number;
  /** Σ cell wall time of the results with metrics, ms. */
  cellMs: number;
  /** Σ decode (generation) time, ms. */
  decodeMs: number;
  /** Σ prompt processing time of the results that timed it apart from their generation, ms. */
  promptMs: number;
  /** Results whose prompt processing time is in promptMs. */
  promptResults: number;
  /**
   * Results whose prompt and generation times add up to more than their wall time (a parallel cell's
   * sequences: one's prompt is processed while another generates), so their prompt time is not in promptMs.
   */
  promptOverlapResults: number;
  /** Results with metrics (the ones cellMs and decodeMs sum over). */
  cellResults: number;
  /** Results that reported a load time. */
  results: number;
  /** From the first cell's start to the last cell's end on this host (the results' timestamps), ms. */
  spanMs: number;
}

/** A host's running sums: the loads and warm-ups by id, so each counts once, and the first and last times. */
type Tally = Pick<
  HostLoads,
  "cellMs" | "decodeMs" | "promptMs" | "promptResults" | "promptOverlapResults" | "cellResults" | "results"
> & { loads: Map<string, number>; warmups: Map<string, number>; firstStart: number; lastEnd: number };

export function modelLoads(results: readonly StoredResult[]): HostLoads[] {
  const byHost = new Map<string, Tally>();
  for (const r of results) {
    const m = r.metrics;
    if (m === undefined) continue;
    let h = byHost.get(r.hostId);
    if (h === undefined) {
      h = {
        loads: new Map(),
        warmups: new Map(),
        cellMs: 0,
        decodeMs: 0,
        promptMs: 0,
        promptResults: 0,
        promptOverlapResults: 0,
        cellResults: 0,
        results: 0,
        firstStart: Infinity,
        lastEnd: -Infinity,
      };
      byHost.set(r.hostId, h);
    }
    h.cellResults++;
    h.cellMs += m.wallMs;
    h.decodeMs += m.decodeMs;
    if (m.promptMs !== undefined) {
      // 1 ms of slack for the engines' rounding
      if (m.promptMs + m.decodeMs <= m.wallMs + 1) {
        h.promptMs += m.promptMs;
        h.promptResults++;
      } else h.promptOverlapResults++;
    }
    const start = Date.parse(r.startedAt);
    const end = Date.parse(r.finishedAt);
    if (Number.isFinite(start)) h.firstStart = Math.min(h.firstStart, start);
    if (Number.isFinite(end)) h.lastEnd = Math.max(h.lastEnd, end);
    // every result after a warm-up carries it (a llama-server or in-process load's own, or one llama-cli
    // session's shared by its tool processes, each a load of its own): one warm-up per distinct record
    const w = m.warmup;
    if (w !== undefined) h.warmups.set(`${w.nDecoded}:${w.wallMs}:${w.decodeTps ?? ""}`, w.wallMs);
    const id = m.loadId ?? `${r.cellId}#${r.attempt}`;
    if (m.loadMs === undefined) continue;
    h.results++;
    if (!h.loads.has(id)) h.loads.set(id, m.loadMs);
  }
  const sum = (xs: Map<string, number>): number => [...xs.values()].reduce((s, x) => s + x, 0);
  return [...byHost.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([hostId, h]) => ({
      hostId,
      loads: h.loads.size,
      loadMs: sum(h.loads),
      warmups: h.warmups.size,
      warmupMs: sum(h.warmups),
      cellMs: h.cellMs,
      decodeMs: h.decodeMs,
      promptMs: h.promptMs,
      promptResults: h.promptResults,
      promptOverlapResults: h.promptOverlapResults,
      cellResults: h.cellResults,
      results: h.results,
      spanMs: h.lastEnd > h.firstStart ? h.lastEnd - h.firstStart : 0,
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
