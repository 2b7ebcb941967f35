// Vega-Lite specs for the report's charts, built from the analysis. Each returns undefined when the sweep
// has no data for it, so the report can say so instead of drawing an empty frame. The hosts' charts
// (hardware side by side, where the time went) are in cli/report/host-charts.ts.
import { alignmentOf, pairAlphaAt } from "./alignment.js";
import { finite, TIP, VEGA_LITE_SCHEMA as SCHEMA, withCi, type ChartSpec } from "./chart-base.js";
import { formatPct } from "./format-number.js";
import { hardwareChart, timeChart } from "./host-charts.js";
import type { SweepAnalysis } from "./sweep-analysis.js";

export type { ChartSpec } from "./chart-base.js";

/** K on an integer axis: ticks only at whole draft lengths (never 1.5), the scale kept linear. */
const K_AXIS = { tickMinStep: 1, format: "d" } as const;
const PANEL_WIDTH = 300;
const tLabel = (t: number): string => `T=${t}`;
/** Temperatures in numeric order for the colour legend (T=0.5 before T=1, T=10 after T=2). */
const tOrder = (ts: number[]): string[] => [...new Set(ts)].sort((x, y) => x - y).map(tLabel);

function kThroughput(a: SweepAnalysis): ChartSpec | undefined {
  const fixed = a.speculative.filter((g) => !g.adaptive && g.k >= 1);
  if (fixed.length === 0) return undefined;
  const rows: Array<Record<string, string | number | null>> = [];
  for (const g of fixed) {
    rows.push({
      layer: "measured",
      host: g.hostId,
      pair: g.pair,
      temperature: tLabel(g.temperature),
      k: g.k,
      tps: g.decodeTps.mean,
      lo: finite(g.decodeTps.ci95[0]),
      hi: finite(g.decodeTps.ci95[1]),
      tip: `${g.hostId}, ${g.pair}, ${tLabel(g.temperature)}, K=${g.k}: ${withCi(g.decodeTps.mean, g.decodeTps.ci95, " t/s")} (n=${g.decodeTps.n})`,
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
      pair: g.pair,
      temperature: tLabel(g.temperature),
      k: g.k,
      tps: base.decodeTps.mean * g.theorySpeedup,
    });
  }
  // each pair's panel carries its target's baseline on that host, one rule per temperature and one label
  // naming them all (baselines at neighbouring temperatures lie too close for a label each)
  const panels = [...new Set(fixed.map((g) => `${g.hostId}\u0000${g.pair}\u0000${g.target}`))];
  for (const key of panels) {
    const [hostId = "", pair = "", target = ""] = key.split("\u0000");
    const bases = a.baselines
      .filter((x) => x.hostId === hostId && x.target === target)
      .sort((x, y) => x.temperature - y.temperature);
    if (bases.length === 0) continue;
    for (const b of bases) {
      rows.push({
        layer: "baseline",
        host: hostId,
        pair,
        temperature: tLabel(b.temperature),
        tps: b.decodeTps.mean,
      });
    }
    rows.push({
      layer: "baseline-label",
      host: hostId,
      pair,
      tps: Math.max(...bases.map((b) => b.decodeTps.mean)),
      label:
        bases.length <= 3
          ? `baseline ${tLabel(bases[0]!.temperature)}${bases
              .slice(1)
              .map((b) => `/${b.temperature}`)
              .join("")}: ${bases.map((b) => b.decodeTps.mean.toFixed(1)).join("/")} t/s`
          : `baseline: ${Math.min(...bases.map((b) => b.decodeTps.mean)).toFixed(1)}–${Math.max(...bases.map((b) => b.decodeTps.mean)).toFixed(1)} t/s over ${bases.length} temperatures`,
    });
  }
  const color = {
    field: "temperature",
    type: "nominal" as const,
    title: "temperature",
    sort: tOrder(fixed.map((g) => g.temperature)),
  };
  const x = { field: "k", type: "quantitative" as const, axis: K_AXIS, scale: { zero: false } };
  return {
    name: "k-throughput",
    title:
      "Draft length K vs decode throughput, one panel per host and pair, coloured by temperature (points: measured with 95% CI; dashed: theory E/(K·c + v(K)), measured α, c, v(K) where recorded, fitted otherwise; dotted rule: the target's baseline)",
    spec: {
      $schema: SCHEMA,
      data: { values: rows },
      facet: {
        row: { field: "host", type: "nominal", title: "host" },
        column: { field: "pair", type: "nominal", title: "pair" },
      },
      spec: {
        width: PANEL_WIDTH,
        height: 200,
        layer: [
          {
            transform: [{ filter: "datum.layer === 'baseline'" }],
            mark: { type: "rule", strokeDash: [2, 2] },
            encoding: { y: { field: "tps", type: "quantitative" }, color },
          },
          {
            transform: [{ filter: "datum.layer === 'baseline-label'" }],
            // limit: a label never wider than its panel (a wider one pushes the panel off its axis)
            mark: {
              type: "text",
              x: "width",
              align: "right",
              dy: -6,
              fontSize: 9,
              color: "#444",
              limit: PANEL_WIDTH - 10,
            },
            encoding: { y: { field: "tps", type: "quantitative" }, text: { field: "label" } },
          },
          {
            transform: [{ filter: "datum.layer === 'theory'" }],
            mark: { type: "line", strokeDash: [6, 4], opacity: 0.7 },
            encoding: { x, y: { field: "tps", type: "quantitative" }, color },
          },
          {
            transform: [{ filter: "datum.layer === 'measured' && datum.lo !== null" }],
            mark: { type: "rule" },
            encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color },
          },
          {
            transform: [{ filter: "datum.layer === 'measured'" }],
            mark: { type: "line", point: true },
            encoding: {
              x: { ...x, title: "K (draft tokens per step)" },
              y: { field: "tps", type: "quantitative", title: "decode t/s" },
              color,
              ...TIP,
            },
          },
        ],
      },
    },
  };
}

function temperatureAcceptance(a: SweepAnalysis): ChartSpec | undefined {
  // one panel per host and pair: the pooled acceptance (accepted / drafted) of each fixed K, coloured by K,
  // which falls with K by construction, and the K-free per-token α as a grey dashed line
  const fixed = a.speculative.filter((g) => !g.adaptive && g.k >= 1 && g.acceptPooled.rate !== undefined);
  const fits = a.fits.filter((f) => f.alpha !== undefined);
  if (fixed.length === 0 && fits.length === 0) return undefined;
  const pairs = [...new Set([...fixed.map((g) => g.pair), ...fits.map((f) => f.pair)])];
  const alignment = new Map<string, string>();
  for (const pair of pairs) {
    const mine = fits.filter((f) => f.pair === pair);
    if (mine.length === 0) continue;
    const { alpha } = pairAlphaAt(fits, pair, Math.min(...mine.map((f) => f.temperature)));
    if (alpha !== undefined) alignment.set(pair, alignmentOf(alpha));
  }
  const panel = (pair: string): string => (alignment.has(pair) ? `${pair} (${alignment.get(pair)!})` : pair);
  const ks = [...new Set(fixed.map((g) => g.k))].sort((x, y) => x - y);
  const rows: Array<Record<string, string | number>> = [
    ...fixed.map((g) => ({
      layer: "pooled",
      host: g.hostId,
      pair: panel(g.pair),
      temperature: g.temperature,
      k: `K=${g.k}`,
      acceptance: g.acceptPooled.rate!,
      tip: `${g.hostId}, ${g.pair}, T=${g.temperature}, K=${g.k}: pooled acceptance ${formatPct(g.acceptPooled.rate)}`,
    })),
    ...fits.map((f) => ({
      layer: "alpha",
      host: f.hostId,
      pair: panel(f.pair),
      temperature: f.temperature,
      acceptance: f.alpha!,
      tip: `${f.hostId}, ${f.pair}, T=${f.temperature}: per-token α ${formatPct(f.alpha)}`,
    })),
  ];
  const x = { field: "temperature", type: "quantitative" as const, title: "temperature" };
  const kLegend = { field: "k", type: "nominal" as const, title: "K", sort: ks.map((k) => `K=${k}`) };
  const y = {
    field: "acceptance",
    type: "quantitative" as const,
    title: "acceptance",
    scale: { domain: [0, 1] },
  };
  return {
    name: "temperature-acceptance",
    title:
      "Temperature vs acceptance, one panel per host and pair (coloured, one shape per K: pooled accepted/drafted at each K; grey dashed: per-token α, measured from accepted-by-position where recorded, fitted otherwise)",
    spec: {
      $schema: SCHEMA,
      data: { values: rows },
      facet: {
        row: { field: "host", type: "nominal", title: "host" },
        column: { field: "pair", type: "nominal", title: "pair" },
      },
      spec: {
        width: PANEL_WIDTH,
        height: 200,
        // α first, under the K lines: K=1's pooled acceptance is α itself and would hide beneath it
        layer: [
          {
            transform: [{ filter: "datum.layer === 'alpha'" }],
            mark: {
              type: "line",
              point: { shape: "diamond", color: "#555" },
              color: "#555",
              strokeWidth: 3,
              strokeDash: [6, 3],
              opacity: 0.6,
            },
            encoding: { x, y, ...TIP },
          },
          {
            transform: [{ filter: "datum.layer === 'pooled'" }],
            // K levels told apart by hue (a categorical scheme, not shades of one) and by point shape, so
            // they read apart in grey print too; one legend for both
            mark: { type: "line", point: { size: 45, filled: true } },
            encoding: {
              x,
              y,
              color: { ...kLegend, scale: { scheme: "tableau10" } },
              shape: kLegend,
              ...TIP,
            },
          },
        ],
      },
    },
  };
}

function speedup(a: SweepAnalysis): ChartSpec | undefined {
  // every fixed-K setting with a speedup, against the 1.0x line where the draft stops paying
  const gs = a.speculative.filter((g) => !g.adaptive && g.k >= 1 && g.speedup !== undefined);
  if (gs.length === 0) return undefined;
  const rows: Array<Record<string, string | number | null>> = gs.map((g) => ({
    layer: "measured",
    host: g.hostId,
    pair: g.pair,
    temperature: tLabel(g.temperature),
    k: g.k,
    speedup: g.speedup!,
    lo: finite(g.speedupCi95?.[0]),
    hi: finite(g.speedupCi95?.[1]),
    tip: `${g.hostId}, ${g.pair}, ${tLabel(g.temperature)}, K=${g.k}: speedup ${withCi(g.speedup!, g.speedupCi95, "x")}`,
  }));
  for (const key of [...new Set(gs.map((g) => `${g.hostId}\u0000${g.pair}`))]) {
    const [hostId = "", pair = ""] = key.split("\u0000");
    rows.push({ layer: "break-even", host: hostId, pair, speedup: 1, label: "1.0x: break-even (baseline)" });
  }
  const color = {
    field: "temperature",
    type: "nominal" as const,
    title: "temperature",
    sort: tOrder(gs.map((g) => g.temperature)),
  };
  const x = { field: "k", type: "quantitative" as const, axis: K_AXIS, scale: { zero: false } };
  const y = { field: "speedup", type: "quantitative" as const };
  return {
    name: "speedup",
    title:
      "Speedup over the baseline per K, one panel per host and pair, coloured by temperature (geometric mean of the paired ratios with its log-t 95% CI; the rule at 1.0x is break-even: below it the draft costs more than it saves)",
    spec: {
      $schema: SCHEMA,
      data: { values: rows },
      facet: {
        row: { field: "host", type: "nominal", title: "host" },
        column: { field: "pair", type: "nominal", title: "pair" },
      },
      spec: {
        width: PANEL_WIDTH,
        height: 200,
        layer: [
          {
            transform: [{ filter: "datum.layer === 'break-even'" }],
            mark: { type: "rule", color: "#c00", strokeDash: [4, 3] },
            encoding: { y },
          },
          {
            transform: [{ filter: "datum.layer === 'break-even'" }],
            mark: {
              type: "text",
              x: "width",
              align: "right",
              dy: -5,
              fontSize: 9,
              color: "#c00",
              limit: PANEL_WIDTH - 10,
            },
            encoding: { y, text: { field: "label" } },
          },
          {
            transform: [{ filter: "datum.layer === 'measured' && datum.lo !== null" }],
            mark: { type: "rule" },
            encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color },
          },
          {
            transform: [{ filter: "datum.layer === 'measured'" }],
            mark: { type: "line", point: true },
            encoding: {
              x: { ...x, title: "K (draft tokens per step)" },
              y: { ...y, title: "speedup (x baseline)" },
              color,
              ...TIP,
            },
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
    tip: `${p.hostId}, ${p.draft === undefined ? "without draft" : `with draft ${p.draft}`}, ${p.concurrency} sequence(s): ${withCi(p.aggregateTps.mean, p.aggregateTps.ci95, " t/s")} aggregate (n=${p.aggregateTps.n})`,
  }));
  // the legend names the draft in full (the default limit cuts it to "with draft tinylla…")
  const color = { field: "setting", type: "nominal" as const, title: null, legend: { labelLimit: 400 } };
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
              x: {
                field: "concurrency",
                type: "quantitative",
                title: "concurrent sequences",
                axis: K_AXIS,
              },
              y: { field: "tps", type: "quantitative", title: "aggregate t/s" },
              color,
              ...TIP,
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

/** The report's charts, in report order. */
export const CHART_NAMES = [
  "k-throughput",
  "temperature-acceptance",
  "speedup",
  "batching",
  "hardware",
  "time",
] as const;

/** Every chart, in report order; a chart without data is reported by name in `missing`. */
export function chartSpecs(a: SweepAnalysis): { charts: ChartSpec[]; missing: string[] } {
  const all: Array<[string, ChartSpec | undefined]> = [
    ["k-throughput", kThroughput(a)],
    ["temperature-acceptance", temperatureAcceptance(a)],
    ["speedup", speedup(a)],
    ["batching", batching(a)],
    ["hardware", hardwareChart(a)],
    ["time", timeChart(a)],
  ];
  return {
    charts: all.map(([, c]) => c).filter((c): c is ChartSpec => c !== undefined),
    missing: all.filter(([, c]) => c === undefined).map(([n]) => n),
  };
}
