// Vega-Lite spec -> SVG (headless vega View, no browser) -> PNG (resvg). The SVG is what the HTML report
// inlines, each data point carrying its hover text as a <title>; the PNG is for Markdown viewers and slides.
import { Resvg } from "@resvg/resvg-js";
import { View, parse } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

import { svgPointTitles } from "./svg-point-titles.js";

export interface RenderedChart {
  svg: string;
  png: Buffer;
}

export async function renderChart(spec: TopLevelSpec): Promise<RenderedChart> {
  const vgSpec = compile(spec).spec;
  const view = new View(parse(vgSpec), { renderer: "none" });
  try {
    const svg = svgPointTitles(await view.toSVG());
    const png = new Resvg(svg, {
      font: { loadSystemFonts: true },
      background: "white",
      fitTo: { mode: "zoom", value: 2 },
    })
      .render()
      .asPng();
    return { svg, png };
  } finally {
    view.finalize();
  }
}
