// Hover text for chart points without a script: Vega renders each data item's description (the charts'
// `tip`, cli/report/chart-base.ts) as its aria-label, and a browser shows an SVG element's <title> child
// as a tooltip, in the HTML report and in the chart-*.svg files alike. Vega's SVG is its own markup
// (vega-scenegraph's markup(): one element per item, attributes quoted and entity-escaped, empty elements
// self-closed), so a leaf element with an aria-label can be given a <title> holding that same text.

/** Items that stand for one datum each; a line's or area's one path holds many, so it gets no title. */
const PER_DATUM = new Set(["point", "bar", "tick", "circle", "square"]);
const LEAF = /<(path|rect|line|circle)\b([^>]*?)\/>/g;
const ATTR = (name: string): RegExp => new RegExp(`\\s${name}="([^"]*)"`);

export function svgPointTitles(svg: string): string {
  return svg.replace(LEAF, (whole, tag: string, attrs: string) => {
    const label = ATTR("aria-label").exec(attrs)?.[1];
    const role = ATTR("aria-roledescription").exec(attrs)?.[1];
    if (label === undefined || role === undefined || !PER_DATUM.has(role)) return whole;
    // the attribute's entity-escaped text is valid element text as it stands
    return `<${tag}${attrs}><title>${label}</title></${tag}>`;
  });
}
