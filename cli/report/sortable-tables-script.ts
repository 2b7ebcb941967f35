// The HTML report's one script, inline (the page makes no request): every table with two or more rows
// sorts by a column when its header is clicked, numbers as numbers (a leading figure such as "1.98x [1.5,
// 2.1]", or one after a short name such as "K=4"), cells without one after those with one, either way;
// and closed <details> open before printing, so the printout carries what the page folds away.
export const SORTABLE_TABLES_SCRIPT = `
(() => {
  const NUMBER = /^(?:[A-Za-z\\u03b1]+\\s?=\\s?)?([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:e[-+]?\\d+)?)/i;
  const key = (cell) => {
    const text = cell === undefined ? "" : cell.textContent.trim();
    const m = NUMBER.exec(text);
    return { n: m === null ? NaN : Number(m[1]), text };
  };
  const compare = (a, b, dir) => {
    if (Number.isNaN(a.n) !== Number.isNaN(b.n)) return Number.isNaN(a.n) ? 1 : -1;
    const c = Number.isNaN(a.n) || a.n === b.n
      ? a.text.localeCompare(b.text, undefined, { numeric: true })
      : a.n - b.n;
    return dir * c;
  };
  for (const table of document.querySelectorAll("table")) {
    const head = table.tHead === null ? undefined : table.tHead.rows[0];
    const body = table.tBodies[0];
    if (head === undefined || body === undefined || body.rows.length < 2) continue;
    table.classList.add("sortable");
    Array.from(head.cells).forEach((th, col) => {
      const button = document.createElement("button");
      button.type = "button";
      button.title = "Sort by this column";
      button.append(...th.childNodes);
      th.append(button);
      button.addEventListener("click", () => {
        const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        for (const other of head.cells) other.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        const rows = Array.from(body.rows);
        rows.sort((r, s) => compare(key(r.cells[col]), key(s.cells[col]), dir));
        body.append(...rows);
      });
    });
  }
  window.addEventListener("beforeprint", () => {
    for (const d of document.querySelectorAll("details")) d.open = true;
  });
})();
`;
