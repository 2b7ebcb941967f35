// The HTML report's stylesheet: readable on screen with a contents bar that stays in view, and a print
// layout without it (charts scaled to the page, no row or chart split across pages).
export const REPORT_PAGE_STYLE = `
body { font-family: system-ui, sans-serif; margin: 0 auto 2rem; max-width: 75rem; padding: 0 1rem; color: #222; }
nav.contents { position: sticky; top: 0; z-index: 1; background: #fff; border-bottom: 1px solid #ddd;
  padding: 0.4rem 0; font-size: 0.85rem; display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; }
nav.contents a { color: #0645ad; text-decoration: none; }
nav.contents a:hover { text-decoration: underline; }
h2, h3, figure.chart { scroll-margin-top: 2.5rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
th button { font: inherit; font-weight: 600; color: inherit; background: none; border: 0; padding: 0;
  cursor: pointer; text-align: left; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
table.verdict td:last-child { font-weight: 600; }
figure.chart { margin: 1rem 0 2rem; overflow-x: auto; }
figcaption { font-size: 0.85rem; color: #555; }
@media print {
  nav.contents { display: none; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  figure.chart { overflow: visible; break-inside: avoid; }
  figure.chart svg { max-width: 100%; height: auto; }
  tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  th[aria-sort] button::after { content: none; }
}
`;
