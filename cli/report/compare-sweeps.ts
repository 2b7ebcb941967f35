// Sweep A against sweep B (a reproduction, or a before/after change): cells matched by the parameters that
// define them, per-group ratios with 95% intervals and a verdict per metric.
//
// Matching: the cellId hashes models by sha256, so a sweep with a changed model has new ids; cells are
// matched by kind, model names, K, p_min, temperature, prompt hash, n_predict, concurrency and engine
// instead, with repeats (and seeds) as the samples. Per group the verdict is core/stats agreeWithinNoise.
// Per metric overall: the geometric mean of the group ratios with a paired t interval over groups (the
// groups differ in level, e.g. K, so ratios are pooled on the log scale); "agree" when that interval
// contains 1 or lies within 1 ± tolerance.
import { kLabel, pairLabel, type Cell } from "../../core/cell.js";
import { baselinePartner } from "../../core/plan/baseline-partner.js";
import { agreeWithinNoise, agreementVerdict, type Agreement } from "../../core/stats/agree-within-noise.js";
import type { HostNoise } from "../../core/measurement-protocol.js";
import {
  describeContention,
  summarizeContention,
  type ContentionSummary,
} from "../../core/stats/summarize-contention.js";
import { ratioInterval } from "../../core/stats/ratio-interval.js";
import type { StoredResult } from "../store/store-records.js";

export type CompareMetric = "decodeTps" | "acceptRate" | "speedup" | "aggregateTps";

export interface GroupComparison {
  key: string;
  hostId: string;
  label: string;
  metric: CompareMetric;
  nA: number;
  nB: number;
  meanA: number;
  meanB: number;
  agreement: Agreement;
}

export interface MetricVerdict {
  metric: CompareMetric;
  groups: number;
  groupsAgree: number;
  groupsDiffer: number;
  /** Geometric mean of B/A over groups. */
  ratio: number;
  ci95: [number, number];
  /** confounded: the values differ, but runs on either side ran under contention, so the difference may be the host's load rather than a change in the system. */
  verdict: "agree" | "differ" | "confounded";
  /** Names the recorded load behind a confounded verdict. */
  confoundedBy?: string;
}

export interface SweepComparison {
  sweepA: string;
  sweepB: string;
  /** Whether groups were matched per host (both sweeps ran on common hosts) or pooled over hosts. */
  byHost: boolean;
  matchedGroups: number;
  onlyInA: number;
  onlyInB: number;
  metrics: MetricVerdict[];
  groups: GroupComparison[];
  /** Host noise over the matched groups' runs of each sweep. */
  contention: { a: ContentionSummary; b: ContentionSummary };
}

export interface CompareOptions {
  /** Relative difference treated as negligible. @default 0.05 */
  tolerance?: number;
}

type Valid = StoredResult & { cell: Cell; metrics: NonNullable<StoredResult["metrics"]> };

function paramKey(c: Cell): string {
  return [
    c.kind,
    c.engine,
    c.target.name,
    c.draft?.name ?? "",
    kLabel(c.k),
    c.pMin ?? "",
    c.temperature,
    c.promptHash,
    c.nPredict,
    c.concurrency ?? "",
  ].join("|");
}

function label(c: Cell): string {
  const pair = pairLabel(c.target.name, c.draft?.name);
  const k = c.kind === "speculative" ? ` K=${kLabel(c.k)}` : "";
  const conc = c.concurrency === undefined ? "" : ` x${c.concurrency}`;
  return `${c.kind} ${pair}${k}${conc} T=${c.temperature} prompt ${c.promptIndex}`;
}

interface Samples {
  hostId: string;
  label: string;
  values: Map<CompareMetric, number[]>;
  /** Host noise of each run of the group (undefined where the agent recorded none). */
  noises: Array<HostNoise | undefined>;
}

function collect(results: StoredResult[], byHost: boolean): Map<string, Samples> {
  const valid = results.filter(
    (r): r is Valid => r.status === "ok" && r.cell !== undefined && r.metrics !== undefined,
  );
  const baselineOf = baselinePartner(valid);
  const out = new Map<string, Samples>();
  const samples = (key: string, r: Valid): Samples => {
    let s = out.get(key);
    if (s === undefined) {
      s = { hostId: byHost ? r.hostId : "*", label: label(r.cell), values: new Map(), noises: [] };
      out.set(key, s);
    }
    return s;
  };
  const push = (key: string, r: Valid, metric: CompareMetric, v: number | undefined): void => {
    if (v === undefined || !Number.isFinite(v)) return;
    const s = samples(key, r);
    const list = s.values.get(metric);
    if (list === undefined) s.values.set(metric, [v]);
    else list.push(v);
  };
  for (const r of valid) {
    const key = `${byHost ? r.hostId : "*"}|${paramKey(r.cell)}`;
    samples(key, r).noises.push(r.metrics.noise);
    if (r.cell.kind === "parallel") {
      push(key, r, "aggregateTps", r.metrics.aggregateTps ?? r.metrics.decodeTps);
      continue;
    }
    push(key, r, "decodeTps", r.metrics.decodeTps);
    if (r.cell.kind === "speculative") {
      push(key, r, "acceptRate", r.metrics.acceptRate);
      const base = baselineOf(r)?.metrics.decodeTps;
      if (base !== undefined) push(key, r, "speedup", r.metrics.decodeTps / base);
    }
  }
  return out;
}

/** Identical constant samples (e.g. acceptance 0 of an unrelated draft, or a deterministic count) agree; the
 * ratio test cannot say so when the constant is 0. */
const sameConstant = (a: number[], b: number[]): boolean =>
  a.every((x) => x === a[0]) && b.every((x) => x === a[0]);

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

export function compareSweeps(
  sweepA: string,
  a: StoredResult[],
  sweepB: string,
  b: StoredResult[],
  opts: CompareOptions = {},
): SweepComparison {
  const tolerance = opts.tolerance ?? 0.05;
  const hostsA = new Set(a.map((r) => r.hostId));
  const byHost = b.some((r) => hostsA.has(r.hostId));
  const sa = collect(a, byHost);
  const sb = collect(b, byHost);
  const groups: GroupComparison[] = [];
  let matched = 0;
  const noisesA: Array<HostNoise | undefined> = [];
  const noisesB: Array<HostNoise | undefined> = [];
  for (const [key, ga] of sa) {
    const gb = sb.get(key);
    if (gb === undefined) continue;
    matched++;
    noisesA.push(...ga.noises);
    noisesB.push(...gb.noises);
    for (const [metric, va] of ga.values) {
      const vb = gb.values.get(metric);
      if (vb === undefined || va.length === 0 || vb.length === 0) continue;
      groups.push({
        key,
        hostId: ga.hostId,
        label: ga.label,
        metric,
        nA: va.length,
        nB: vb.length,
        meanA: mean(va),
        meanB: mean(vb),
        agreement: sameConstant(va, vb)
          ? { verdict: "agree", ratio: 1, ci95: [1, 1] }
          : agreeWithinNoise(va, vb, { tolerance }),
      });
    }
  }
  const contention = { a: summarizeContention(noisesA), b: summarizeContention(noisesB) };
  const confoundedBy = [
    ...(contention.a.contended > 0 ? [`${sweepA}: ${describeContention(contention.a)}`] : []),
    ...(contention.b.contended > 0 ? [`${sweepB}: ${describeContention(contention.b)}`] : []),
  ].join("; ");
  const metrics: MetricVerdict[] = [];
  for (const metric of ["decodeTps", "acceptRate", "speedup", "aggregateTps"] as const) {
    const gs = groups.filter((g) => g.metric === metric && g.meanA > 0 && g.meanB > 0);
    if (gs.length === 0) continue;
    // one group: its own Welch interval; several: the paired log-t interval over groups (core/stats)
    const { ratio, ci95 } =
      gs.length === 1
        ? gs[0]!.agreement
        : ratioInterval(
            gs.map((g) => g.meanB),
            gs.map((g) => g.meanA),
            { paired: true },
          );
    const agree = agreementVerdict(ci95, tolerance) === "agree";
    metrics.push({
      metric,
      groups: gs.length,
      groupsAgree: gs.filter((g) => g.agreement.verdict === "agree").length,
      groupsDiffer: gs.filter((g) => g.agreement.verdict === "differ").length,
      ratio,
      ci95,
      // a difference measured on a contended host says nothing about the system: name the load instead
      verdict: agree ? "agree" : confoundedBy === "" ? "differ" : "confounded",
      ...(agree || confoundedBy === "" ? {} : { confoundedBy }),
    });
  }
  return {
    sweepA,
    sweepB,
    byHost,
    matchedGroups: matched,
    onlyInA: [...sa.keys()].filter((k) => !sb.has(k)).length,
    onlyInB: [...sb.keys()].filter((k) => !sa.has(k)).length,
    metrics,
    groups,
    contention,
  };
}
