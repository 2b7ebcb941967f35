// Adaptive repeats (manifest `sweep.precision: { rel_ci, max_repeats }`), in the spirit of llama-bench's
// repetitions and hyperfine's loop: once every planned cell has a result, each speculative group (host,
// target, draft, K, p_min, temperature) whose 95% interval is wider than ±rel_ci of its estimate gets one
// more repeat (every prompt, with its ABAB baselines), round after round, until the interval is met or the
// group has max_repeats repeats. A group still wider then is unstable: the report bases no answer on it.
//
// The interval is the paired speedup's (t on the log ratios, core/stats/ratio-interval) where every run has
// its baseline, else the decode t/s interval on the log scale (core/stats/summarize-rate). Runs marked
// contended (metrics.noise) are left out: they never count towards a group's precision.
import type { Cell } from "../cell.js";
import type { Manifest } from "../manifest/manifest.js";
import type { CellMetrics, CellStatus } from "../metrics.js";
import { ratioInterval } from "../stats/ratio-interval.js";
import { summarizeRate } from "../stats/summarize-rate.js";
import { baselinePartner } from "./baseline-partner.js";
import { precisionGroupKey, type RepeatSelection } from "./plan-sweep.js";

export interface PrecisionInput {
  hostId: string;
  cellId: string;
  cell: Cell;
  status: CellStatus;
  metrics?: CellMetrics;
}

export interface GroupPrecision {
  hostId: string;
  /** precisionGroupKey of the group. */
  key: string;
  /** Distinct repeats with a usable (ok, uncontended) run. */
  repeats: number;
  /** Distinct repeat indices planned for the group (any outcome). */
  plannedRepeats: number;
  /** Half-width of the 95% interval over its estimate; undefined when there is no interval (n < 2). */
  relCi?: number;
  /** What the interval is of. */
  of: "speedup" | "decodeTps";
}

type Usable = PrecisionInput & { metrics: CellMetrics };

const usable = (r: PrecisionInput): r is Usable =>
  r.status === "ok" && r.metrics !== undefined && r.metrics.noise?.contended !== true;

/** Precision of every speculative group per host, from a sweep's results. */
export function groupPrecision(results: readonly PrecisionInput[]): GroupPrecision[] {
  const ok = results.filter(usable);
  const partner = baselinePartner(ok);
  const groups = new Map<string, { planned: PrecisionInput[]; runs: Usable[] }>();
  for (const r of results) {
    if (r.cell.kind !== "speculative") continue;
    const id = `${r.hostId}\u0000${precisionGroupKey(r.cell)}`;
    let g = groups.get(id);
    if (g === undefined) {
      g = { planned: [], runs: [] };
      groups.set(id, g);
    }
    g.planned.push(r);
    if (usable(r)) g.runs.push(r);
  }
  const out: GroupPrecision[] = [];
  for (const [id, g] of groups) {
    const [hostId = "", key = ""] = id.split("\u0000");
    const spec = g.runs.map((r) => r.metrics.decodeTps);
    const bases = g.runs.map((r) => partner(r)?.metrics.decodeTps);
    const base: GroupPrecision = {
      hostId,
      key,
      repeats: new Set(g.runs.map((r) => r.cell.repeat)).size,
      plannedRepeats: new Set(g.planned.map((r) => r.cell.repeat)).size,
      of: "speedup",
    };
    let centre: number;
    let ci: [number, number];
    if (bases.length > 0 && bases.every((b) => b !== undefined)) {
      const ri = ratioInterval(spec, bases, { paired: true });
      centre = ri.ratio;
      ci = ri.ci95;
    } else {
      const s = summarizeRate(spec);
      base.of = "decodeTps";
      centre = s.ciScale === "log" ? s.geoMean : s.mean;
      ci = s.ci95;
    }
    const relCi = (ci[1] - ci[0]) / 2 / centre;
    out.push(Number.isFinite(relCi) ? { ...base, relCi } : base);
  }
  return out;
}

/** Whether a group met the asked precision. */
export const isPrecise = (g: GroupPrecision, relCi: number): boolean =>
  g.relCi !== undefined && g.relCi <= relCi;

export interface PrecisionRound {
  /** Groups to run once more, at which repeat index; undefined when no group needs (or may get) one. */
  select?: RepeatSelection;
  /** Groups (per host) still wider than asked that have reached max_repeats. */
  unstable: GroupPrecision[];
  groups: GroupPrecision[];
}

/** The next round of adaptive repeats for a sweep whose planned cells all have results. */
export function precisionRound(m: Manifest, results: readonly PrecisionInput[]): PrecisionRound {
  const precision = m.sweep.precision;
  const groups = groupPrecision(results);
  if (precision === undefined) return { unstable: [], groups };
  const wide = groups.filter((g) => !isPrecise(g, precision.relCi));
  const more = wide.filter((g) => g.plannedRepeats < precision.maxRepeats);
  const unstable = wide.filter((g) => g.plannedRepeats >= precision.maxRepeats);
  if (more.length === 0) return { unstable, groups };
  let next = 0;
  for (const r of results) next = Math.max(next, r.cell.repeat + 1);
  return { select: { repeats: [next], groups: new Set(more.map((g) => g.key)) }, unstable, groups };
}
