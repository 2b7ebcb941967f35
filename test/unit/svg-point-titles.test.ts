// Hover text from Vega's own SVG: a per-datum item (point, bar, tick) gains a <title> holding its
// aria-label; a line's single path (many data), axes, legends and unlabelled items are left as they are.
import { describe, expect, it } from "vitest";

import { renderChart } from "../../cli/report/render-chart.js";
import { svgPointTitles } from "../../cli/report/svg-point-titles.js";

describe("svgPointTitles", () => {
  it.each([
    {
      name: "a point gains its label as a title, entities kept",
      svg: '<path aria-label="a, K=1: 2.0 t/s &lt;&amp;&gt; &quot;q&quot;" role="graphics-symbol" aria-roledescription="point" d="M1,0Z"/>',
      out: '<path aria-label="a, K=1: 2.0 t/s &lt;&amp;&gt; &quot;q&quot;" role="graphics-symbol" aria-roledescription="point" d="M1,0Z"><title>a, K=1: 2.0 t/s &lt;&amp;&gt; &quot;q&quot;</title></path>',
    },
    {
      name: "a bar and a tick too",
      svg: '<path aria-label="b" aria-roledescription="bar" d="M0,0h5v5h-5Z"/><path aria-label="t" aria-roledescription="tick" d="M0,0h5Z"/>',
      out: '<path aria-label="b" aria-roledescription="bar" d="M0,0h5v5h-5Z"><title>b</title></path><path aria-label="t" aria-roledescription="tick" d="M0,0h5Z"><title>t</title></path>',
    },
    {
      name: "a line mark holds many data: no title",
      svg: '<path aria-label="first datum" role="graphics-symbol" aria-roledescription="line mark" d="M0,0L5,5"/>',
    },
    {
      name: "an axis group and an unlabelled point: no title",
      svg: '<g class="mark-group role-axis" role="graphics-symbol" aria-roledescription="axis" aria-label="X-axis"><path aria-roledescription="point" d="M0,0Z"/></g>',
    },
  ])("$name", ({ svg, out }) => {
    expect(svgPointTitles(svg)).toBe(out ?? svg);
  });

  it("titles every point vega renders from a description channel, and nothing else", async () => {
    const { svg } = await renderChart({
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      data: {
        values: [
          { k: 1, y: 2, tip: "one" },
          { k: 2, y: 3, tip: "two" },
          { k: 3, y: 1, tip: "three" },
        ],
      },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "k", type: "quantitative" },
        y: { field: "y", type: "quantitative" },
        description: { field: "tip", type: "nominal" },
      },
    });
    expect([...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1])).toEqual(["one", "two", "three"]);
  });
});
