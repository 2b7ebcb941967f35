// The report as a list of blocks, built once and rendered twice (Markdown and HTML), so both files always
// say the same thing.
export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "list"; items: string[] }
  /** role names the table in the HTML (class), so a reader's stylesheet or a test can find the verdict. */
  | { kind: "table"; headers: string[]; rows: string[][]; role?: string }
  | { kind: "chart"; name: string; title: string };

export interface ReportDocument {
  title: string;
  blocks: Block[];
}

const mdCell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderMarkdown(doc: ReportDocument): string {
  const out: string[] = [`# ${doc.title}`, ""];
  for (const b of doc.blocks) {
    switch (b.kind) {
      case "heading":
        out.push(`${"#".repeat(b.level + 1)} ${b.text}`, "");
        break;
      case "paragraph":
        out.push(b.text, "");
        break;
      case "list":
        out.push(...b.items.map((i) => `- ${i}`), "");
        break;
      case "table":
        out.push(
          `| ${b.headers.map(mdCell).join(" | ")} |`,
          `|${b.headers.map(() => "---").join("|")}|`,
          ...b.rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`),
          "",
        );
        break;
      case "chart":
        out.push(`![${b.title}](chart-${b.name}.png)`, "", `*${b.title}* ([SVG](chart-${b.name}.svg))`, "");
        break;
    }
  }
  return out.join("\n");
}

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Self-contained page: charts inlined as SVG, styles inline, no scripts, no external requests. */
export function renderHtml(doc: ReportDocument, svgs: Map<string, string>): string {
  const body: string[] = [];
  for (const b of doc.blocks) {
    switch (b.kind) {
      case "heading":
        body.push(`<h${b.level + 1}>${esc(b.text)}</h${b.level + 1}>`);
        break;
      case "paragraph":
        body.push(`<p>${esc(b.text)}</p>`);
        break;
      case "list":
        body.push(`<ul>${b.items.map((i) => `<li>${esc(i)}</li>`).join("")}</ul>`);
        break;
      case "table":
        body.push(
          `<table${b.role === undefined ? "" : ` class="${esc(b.role)}"`}><thead><tr>${b.headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>` +
            b.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("") +
            "</tbody></table>",
        );
        break;
      case "chart": {
        const svg = svgs.get(b.name) ?? "";
        // vega's SVG starts with its own <svg ...>; strip an XML prolog if one is ever present.
        body.push(
          `<figure class="chart" id="chart-${esc(b.name)}">${svg.replace(/^<\?xml[^>]*>\s*/, "")}` +
            `<figcaption>${esc(b.title)}</figcaption></figure>`,
        );
        break;
      }
    }
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 75rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
table.verdict td:last-child { font-weight: 600; }
figure.chart { margin: 1rem 0 2rem; overflow-x: auto; }
figcaption { font-size: 0.85rem; color: #555; }
</style>
</head>
<body>
<h1>${esc(doc.title)}</h1>
${body.join("\n")}
</body>
</html>
`;
}
