// Vega-Lite specs for the report's four charts, built from the analysis. Each returns undefined when the
// sweep has no data for it, so the report can say so instead of drawing an empty frame.
import type { TopLevelSpec } from "vega-lite";

import { ALIGNED_ACCEPTANCE, bestGroup } from "./answer-questions.js";
import type { SweepAnalysis } from "./sweep-analysis.js";

export interface ChartSpec {
  /** File stem: chart-<name>.svg / .png. */
  name: string;
  title: string;
  spec: TopLevelSpec;
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const finite = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? x : null);

function kThroughput(a: SweepAnalysis): ChartSpec | undefined {
  const fixed = a.speculative.filter((g) => !g.adaptive && g.k >= 1);
  if (fixed.length === 0) return undefined;
  const rows: Array<Record<string, string | number | null>> = [];
  for (const g of fixed) {
    const series = `${g.pair} T=${g.temperature}`;
    rows.push({
      layer: "measured",
      host: g.hostId,
      series,
      k: g.k,
      tps: g.decodeTps.mean,
      lo: finite(g.decodeTps.ci95[0]),
      hi: finite(g.decodeTps.ci95[1]),
    });
  }
  // the theory at each measured K: E(α, K) / (K·c + v(K)) with measured costs where recorded, fitted otherwise
  for (const g of fixed) {
    const base = a.baselines.find(
      (b) => b.hostId === g.hostId && b.target === g.target && b.temperature === g.temperature,
    );
    if (base === undefined || g.theorySpeedup === undefined) continue;
    rows.push({
      layer: "theory",
      host: g.hostId,
      series: `${g.pair} T=${g.temperature}`,
      k: g.k,
      tps: base.decodeTps.mean * g.theorySpeedup,
    });
  }
  for (const b of a.baselines) {
    rows.push({
      layer: "baseline",
      host: b.hostId,
      series: `baseline ${b.target} T=${b.temperature}`,
      tps: b.decodeTps.mean,
    });
  }
  const color = {
    field: "series",
    type: "nominal" as const,
    title: "pair, temperature",
    legend: { labelLimit: 400 },
  };
  return {
    name: "k-throughput",
    title:
      "Draft length K vs decode throughput (points: measured with 95% CI; dashed: theory E/(K·c + v(K)), measured α, c, v(K) where recorded, fitted otherwise; grey: baseline)",
    spec: {
      $schema: SCHEMA,
      data: { values: rows },
      facet: { column: { field: "host", type: "nominal", title: "host" } },
      spec: {
        width: 320,
        height: 240,
        layer: [
          {
            transform: [{ filter: "datum.layer === 'baseline'" }],
            mark: { type: "rule", color: "#888", strokeDash: [2, 2] },
            encoding: { y: { field: "tps", type: "quantitative" } },
          },
          {
            transform: [{ filter: "datum.layer === 'theory'" }],
            mark: { type: "line", strokeDash: [6, 4], opacity: 0.7 },
            encoding: {
              x: { field: "k", type: "quantitative" },
              y: { field: "tps", type: "quantitative" },
              color,
            },
          },
          {
            transform: [{ filter: "datum.layer === 'measured' && datum.lo !== null" }],
            mark: { type: "rule" },
            encoding: {
              x: { field: "k", type: "quantitative" },
              y: { field: "lo", type: "quantitative" },
              y2: { field: "hi" },
              color,
            },
          },
          {
            transform: [{ filter: "datum.layer === 'measured'" }],
            mark: { type: "line", point: true },
            encoding: {
              x: { field: "k", type: "quantitative", title: "K (draft tokens per step)" },
              y: { field: "tps", type: "quantitative", title: "decode t/s" },
              color,
            },
          },
        ],
      },
    },
  };
}

function temperatureAcceptance(a: SweepAnalysis): ChartSpec | undefined {
  // α per token (K-free): accepted/drafted falls with K by construction, so a mean over K would mix them
  const fits = a.fits.filter((f) => f.alpha !== undefined);
  if (fits.length === 0) return undefined;
  const pairs = [...new Set(fits.map((f) => f.pair))];
  const rows: Array<Record<string, string | number>> = [];
  const meanAlpha = (fs: typeof fits): number => fs.reduce((s, f) => s + f.alpha!, 0) / fs.length;
  for (const pair of pairs) {
    const mine = fits.filter((f) => f.pair === pair);
    const t0 = Math.min(...mine.map((f) => f.temperature));
    const cls =
      meanAlpha(mine.filter((f) => f.temperature === t0)) >= ALIGNED_ACCEPTANCE ? "aligned" : "misaligned";
    for (const t of [...new Set(mine.map((f) => f.temperature))]) {
      rows.push({
        pair,
        alignment: cls,
        temperature: t,
        acceptance: meanAlpha(mine.filter((f) => f.temperature === t)),
      });
    }
  }
  return {
    name: "temperature-acceptance",
    title:
      "Temperature vs per-token acceptance α per pair (aligned and misaligned side by side; mean over hosts; α measured from accepted-by-position where recorded, fitted otherwise)",
    spec: {
      $schema: SCHEMA,
      data: { values: rows },
      facet: { column: { field: "alignment", type: "nominal", title: null } },
      spec: {
        width: 300,
        height: 220,
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "temperature", type: "quantitative" },
          y: {
            field: "acceptance",
            type: "quantitative",
            title: "α (per-token acceptance)",
            scale: { domain: [0, 1] },
          },
          color: { field: "pair", type: "nominal" },
        },
      },
    },
  };
}

function speedup(a: SweepAnalysis): ChartSpec | undefined {
  const rows: Array<Record<string, string | number | null>> = [];
  for (const key of [...new Set(a.speculative.map((g) => `${g.hostId}\u0000${g.pair}`))]) {
    const [hostId = "", pair = ""] = key.split("\u0000");
    const gs = a.speculative.filter((g) => g.hostId === hostId && g.pair === pair);
    const t0 = Math.min(...gs.map((g) => g.temperature));
    const best = bestGroup(gs.filter((g) => g.temperature === t0));
    const base = a.baselines.find(
      (b) => b.hostId === hostId && b.target === best?.target && b.temperature === t0,
    );
    if (best === undefined || base === undefined) continue;
    rows.push({
      host: hostId,
      pair: `${pair} T=${t0}`,
      setting: "baseline",
      tps: base.decodeTps.mean,
      lo: finite(base.decodeTps.ci95[0]),
      hi: finite(base.decodeTps.ci95[1]),
      label: "",
    });
    rows.push({
      host: hostId,
      pair: `${pair} T=${t0}`,
      setting: `best K=${best.k}`,
      tps: best.decodeTps.mean,
      lo: finite(best.decodeTps.ci95[0]),
      hi: finite(best.decodeTps.ci95[1]),
      label: `${(best.speedup ?? NaN).toFixed(2)}x [${(best.speedupCi95?.[0] ?? NaN).toFixed(2)}, ${(best.speedupCi95?.[1] ?? NaN).toFixed(2)}]`,
    });
  }
  if (rows.length === 0) return undefined;
  const x = { field: "setting", type: "nominal" as const, title: null };
  return {
    name: "speedup",
    title:
      "Baseline vs best speculative setting per host and pair (decode t/s, 95% CI; label: speedup with its paired log-t 95% CI)",
    spec: {
      $schema: SCHEMA,
      data: { values: rows },
      facet: {
        row: { field: "host", type: "nominal" },
        column: { field: "pair", type: "nominal", title: null },
      },
      spec: {
        width: 160,
        height: 200,
        layer: [
          {
            mark: "bar",
            encoding: {
              x,
              y: { field: "tps", type: "quantitative", title: "decode t/s" },
              color: { field: "setting", type: "nominal", legend: null },
            },
          },
          {
            transform: [{ filter: "datum.lo !== null" }],
            mark: { type: "rule", color: "black" },
            encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } },
          },
          {
            mark: { type: "text", dy: -8 },
            encoding: { x, y: { field: "tps", type: "quantitative" }, text: { field: "label" } },
          },
        ],
      },
    },
  };
}

function batching(a: SweepAnalysis): ChartSpec | undefined {
  if (a.parallel.length === 0) return undefined;
  const rows = a.parallel.map((p) => ({
    host: p.hostId,
    setting: p.draft === undefined ? "without draft" : `with draft ${p.draft}`,
    concurrency: p.concurrency,
    tps: p.aggregateTps.mean,
    lo: finite(p.aggregateTps.ci95[0]),
    hi: finite(p.aggregateTps.ci95[1]),
  }));
  const color = { field: "setting", type: "nominal" as const, title: null };
  return {
    name: "batching",
    title: "Batching: aggregate throughput vs concurrency, with and without a draft (95% CI)",
    spec: {
      $schema: SCHEMA,
      data: { values: rows },
      facet: { column: { field: "host", type: "nominal" } },
      spec: {
        width: 300,
        height: 220,
        layer: [
          {
            mark: { type: "line", point: true },
            encoding: {
              x: { field: "concurrency", type: "quantitative", title: "concurrent sequences" },
              y: { field: "tps", type: "quantitative", title: "aggregate t/s" },
              color,
            },
          },
          {
            transform: [{ filter: "datum.lo !== null" }],
            mark: "rule",
            encoding: {
              x: { field: "concurrency", type: "quantitative" },
              y: { field: "lo", type: "quantitative" },
              y2: { field: "hi" },
              color,
            },
          },
        ],
      },
    },
  };
}

/** All four charts, in report order; a chart without data is reported by name in `missing`. */
export function chartSpecs(a: SweepAnalysis): { charts: ChartSpec[]; missing: string[] } {
  const all: Array<[string, ChartSpec | undefined]> = [
    ["k-throughput", kThroughput(a)],
    ["temperature-acceptance", temperatureAcceptance(a)],
    ["speedup", speedup(a)],
    ["batching", batching(a)],
  ];
  return {
    charts: all.map(([, c]) => c).filter((c): c is ChartSpec => c !== undefined),
    missing: all.filter(([, c]) => c === undefined).map(([n]) => n),
  };
}
