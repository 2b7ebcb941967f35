// The report as a list of blocks, built once and rendered twice (Markdown and HTML), so both files always
// say the same thing.
import { REPORT_PAGE_STYLE } from "./report-page-style.js";
import { SORTABLE_TABLES_SCRIPT } from "./sortable-tables-script.js";

export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "list"; items: string[] }
  /** What a reader opens on demand: a <details> element in the HTML, the list that follows in Markdown. */
  | { kind: "details"; summary: string; items: string[] }
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
      case "details":
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

/** Heading ids for the contents bar's links: the text in lower-case words, numbered when it repeats. */
function headingIds(blocks: readonly Block[]): Map<Block, string> {
  const ids = new Map<Block, string>();
  const seen = new Map<string, number>();
  for (const b of blocks) {
    if (b.kind !== "heading") continue;
    const slug =
      b.text
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, "") || "section";
    const n = (seen.get(slug) ?? 0) + 1;
    seen.set(slug, n);
    ids.set(b, n === 1 ? slug : `${slug}-${n}`);
  }
  return ids;
}

/**
 * Self-contained page: a contents bar linking the top-level sections, charts inlined as SVG (each point's
 * hover text a <title>), styles and the one script (sortable tables) inline, no external requests.
 */
export function renderHtml(doc: ReportDocument, svgs: Map<string, string>): string {
  const ids = headingIds(doc.blocks);
  const contents = doc.blocks
    .filter((b): b is Extract<Block, { kind: "heading" }> => b.kind === "heading" && b.level === 1)
    .map((b) => `<a href="#${ids.get(b)!}">${esc(b.text)}</a>`);
  const body: string[] = [];
  for (const b of doc.blocks) {
    switch (b.kind) {
      case "heading":
        body.push(`<h${b.level + 1} id="${ids.get(b)!}">${esc(b.text)}</h${b.level + 1}>`);
        break;
      case "paragraph":
        body.push(`<p>${esc(b.text)}</p>`);
        break;
      case "list":
        body.push(`<ul>${b.items.map((i) => `<li>${esc(i)}</li>`).join("")}</ul>`);
        break;
      case "details":
        body.push(
          `<details><summary>${esc(b.summary)}</summary><ul>${b.items.map((i) => `<li>${esc(i)}</li>`).join("")}</ul></details>`,
        );
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
<style>${REPORT_PAGE_STYLE}</style>
</head>
<body>
<nav class="contents" aria-label="Contents">${contents.join("")}</nav>
<h1>${esc(doc.title)}</h1>
${body.join("\n")}
<script>${SORTABLE_TABLES_SCRIPT}</script>
</body>
</html>
`;
}
