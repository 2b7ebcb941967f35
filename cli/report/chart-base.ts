// What every report chart shares: the spec type the report renders, the Vega-Lite schema, and the hover text
// a data point carries (rendered as the point's SVG <title>, cli/report/svg-point-titles.ts).
import type { TopLevelSpec } from "vega-lite";

import { formatCi, formatNumber } from "./format-number.js";

export interface ChartSpec {
  /** File stem: chart-<name>.svg / .png. */
  name: string;
  title: string;
  spec: TopLevelSpec;
}

export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

export const finite = (x: number | undefined): number | null =>
  x !== undefined && Number.isFinite(x) ? x : null;

/** `12.34 t/s [12.10, 12.58]`: a measured figure with its interval, as the point's hover text says it. */
export const withCi = (x: number, ci: readonly [number, number] | undefined, unit: string): string =>
  `${formatNumber(x)}${unit}${ci === undefined ? "" : ` ${formatCi(ci)}`}`;

/**
 * The description channel: Vega-Lite writes it as each mark item's aria-label, from which every point gets
 * its hover text; without it Vega-Lite writes every encoded field under its raw name.
 */
export const TIP = { description: { field: "tip", type: "nominal" as const } };
