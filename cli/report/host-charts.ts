// The charts about hosts rather than pairs: the same configuration on each host side by side (a sweep that
// ran on several hosts), and where each host's time went (model load, warm-up, prompt processing,
// generation) as recorded by the engines. Each returns undefined when the sweep has no data for it.
import { finite, TIP, VEGA_LITE_SCHEMA, withCi, type ChartSpec } from "./chart-base.js";
import { compareHosts } from "./compare-hosts.js";
import { formatNumber } from "./format-number.js";
import type { HostLoads } from "./model-loads.js";
import type { SweepAnalysis } from "./sweep-analysis.js";

const tLabel = (t: number): string => `T=${t}`;

/** Baseline and best-K decode t/s of each (pair, temperature) that two or more hosts ran, hosts side by side. */
export function hardwareChart(a: SweepAnalysis): ChartSpec | undefined {
  const rows: Array<Record<string, string | number | null>> = [];
  for (const r of compareHosts(a).rows) {
    const hosts = Object.entries(r.hosts).filter(([, f]) => f.decodeTpsAtBestK !== null && f.bestK !== null);
    if (hosts.length < 2) continue;
    for (const [host, f] of hosts) {
      const where = `${host}, ${r.pair}, ${tLabel(r.temperature)}`;
      rows.push({
        layer: "speculative",
        pair: r.pair,
        temperature: tLabel(r.temperature),
        host,
        tps: f.decodeTpsAtBestK,
        k: `K=${f.bestK!}`,
        tip:
          `${where}: ${formatNumber(f.decodeTpsAtBestK)} t/s at its best K=${f.bestK!}` +
          (f.speedup === null
            ? ""
            : `, speedup ${withCi(f.speedup, f.speedupCi95 ?? undefined, "x")} over its baseline`),
      });
      if (f.baselineTps !== null)
        rows.push({
          layer: "baseline",
          pair: r.pair,
          temperature: tLabel(r.temperature),
          host,
          tps: f.baselineTps,
          tip: `${where}: baseline ${formatNumber(f.baselineTps)} t/s`,
        });
    }
  }
  if (rows.length === 0) return undefined;
  const temperatures = [...new Set(a.speculative.map((g) => g.temperature))].sort((x, y) => x - y);
  const x = {
    field: "temperature",
    type: "nominal" as const,
    title: "temperature",
    sort: temperatures.map(tLabel),
    axis: { labelAngle: 0 },
  };
  const xOffset = { field: "host", type: "nominal" as const, sort: a.hostIds };
  const y = { field: "tps", type: "quantitative" as const, title: "decode t/s" };
  const color = { field: "host", type: "nominal" as const, title: "host", sort: a.hostIds };
  return {
    name: "hardware",
    title:
      "Hosts side by side: decode throughput of the same pair and temperature on each host, one panel per pair (bars: the best K on that host, labelled; black ticks: that host's baseline)",
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      data: { values: rows },
      facet: { column: { field: "pair", type: "nominal", title: "pair" } },
      spec: {
        width: 260,
        height: 220,
        layer: [
          {
            transform: [{ filter: "datum.layer === 'speculative'" }],
            mark: { type: "bar" },
            encoding: { x, xOffset, y, color, ...TIP },
          },
          {
            transform: [{ filter: "datum.layer === 'speculative'" }],
            mark: { type: "text", dy: -5, fontSize: 9 },
            encoding: { x, xOffset, y, text: { field: "k" } },
          },
          {
            transform: [{ filter: "datum.layer === 'baseline'" }],
            mark: { type: "tick", color: "black", thickness: 2 },
            encoding: { x, xOffset, y, ...TIP },
          },
        ],
      },
    },
  };
}

const PARTS = ["model load", "warm-up", "prompt processing", "generation"] as const;

/** The recorded parts of a host's time, in seconds; a part no result recorded is left out, never 0. */
export function recordedParts(l: HostLoads): Array<{ part: (typeof PARTS)[number]; seconds: number }> {
  const parts: Array<{ part: (typeof PARTS)[number]; seconds: number }> = [];
  if (l.results > 0) parts.push({ part: "model load", seconds: l.loadMs / 1000 });
  if (l.warmups > 0) parts.push({ part: "warm-up", seconds: l.warmupMs / 1000 });
  if (l.promptResults > 0) parts.push({ part: "prompt processing", seconds: l.promptMs / 1000 });
  if (l.cellResults > 0) parts.push({ part: "generation", seconds: l.decodeMs / 1000 });
  return parts;
}

/** One stacked bar per host: its recorded load, warm-up, prompt and generation time, against the span of its cells. */
export function timeChart(a: SweepAnalysis): ChartSpec | undefined {
  const rows: Array<Record<string, string | number | null>> = [];
  for (const l of a.loads) {
    for (const p of recordedParts(l)) {
      rows.push({
        layer: "part",
        host: l.hostId,
        part: p.part,
        order: PARTS.indexOf(p.part),
        seconds: p.seconds,
        tip: `${l.hostId}, ${p.part}: ${formatNumber(p.seconds, 1)} s`,
      });
    }
    if (l.spanMs > 0)
      rows.push({
        layer: "span",
        host: l.hostId,
        seconds: finite(l.spanMs / 1000),
        tip: `${l.hostId}, span of its cells: ${formatNumber(l.spanMs / 1000, 1)} s from the first one's start to the last one's end`,
      });
  }
  if (!rows.some((r) => r.layer === "part")) return undefined;
  const y = { field: "host", type: "nominal" as const, title: "host", sort: a.hostIds };
  const x = { field: "seconds", type: "quantitative" as const, title: "seconds" };
  return {
    name: "time",
    title:
      "Where the time went, per host: the model loads, their warm-up generations, prompt processing and generation as the engines recorded them (a part no result recorded is not drawn; idle time is not recorded); the black tick marks the span from the host's first cell's start to its last cell's end",
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      data: { values: rows },
      width: 520,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'part'" }],
          mark: { type: "bar" },
          encoding: {
            y,
            x: { ...x, stack: "zero" },
            color: { field: "part", type: "nominal", title: "part", sort: [...PARTS] },
            order: { field: "order", type: "quantitative" },
            ...TIP,
          },
        },
        {
          transform: [{ filter: "datum.layer === 'span'" }],
          mark: { type: "tick", color: "black", thickness: 2 },
          encoding: { y, x, ...TIP },
        },
      ],
    },
  };
}

/** What the time chart leaves out for a host and why, or undefined when it leaves nothing out. */
export function describeUnrecorded(l: HostLoads): string | undefined {
  const drawn = new Set(recordedParts(l).map((p) => p.part));
  const absent = PARTS.filter((p) => !drawn.has(p));
  const overlap =
    l.promptOverlapResults === 0
      ? ""
      : `${l.hostId}: ${l.promptOverlapResults} result(s) processed prompts while generating (concurrent sequences), so their prompt time overlaps their generation and is not drawn.`;
  if (absent.length === 0) return overlap === "" ? undefined : overlap;
  const parts = absent.map((p) => (p === "warm-up" ? "a warm-up" : `${p} time`)).join(" or ");
  return `${l.hostId}: no result recorded ${parts}, so the bar leaves ${absent.length === 1 ? "it" : "them"} out.${overlap === "" ? "" : ` ${overlap}`}`;
}
