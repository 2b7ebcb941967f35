// report.html in a real headless browser (Debian's chromium through playwright-core, no download), with
// every request other than the file itself refused: the page loads without console errors or requests,
// each inlined SVG chart renders with a size and drawn marks and hover text on its points, the verdict
// tables come before the first chart on the first screen (a screenshot of it is kept in the test's temp
// dir, and copied to $SPECGRID_SCREENSHOT_DIR when set), the K axes carry whole draft lengths only, K
// levels differ in colour and shape, the contents bar links every section, tables sort by a clicked
// column, and print drops the contents bar.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { openStore } from "../../cli/store/open-store.js";
import { writeReport } from "../../cli/report/write-report.js";
import { fakeSweep, storeFakeSweep } from "../support/fake-results.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[report-browser] skipped: ${CHROMIUM} is absent (apt-get install chromium)`);

const VIEWPORT = { width: 1280, height: 800 };
const CHARTS = ["k-throughput", "temperature-acceptance", "speedup", "batching", "hardware", "time"];

let dir: string;
let browser: Browser | undefined;
let htmlFile: string;
let hostIds: string[];

beforeAll(async () => {
  if (!hasChromium) return;
  dir = mkdtempSync(path.join(tmpdir(), "specgrid-browser-"));
  const store = openStore(path.join(dir, "r.sqlite"));
  try {
    // K 1 to 3: a default axis over so short a range ticks at 1.5 and 2.5; two hosts, loads recorded
    const d = fakeSweep({ seed: 9, repeats: 2, invalidFraction: 0.05, ks: [1, 2, 3], recordLoads: true });
    storeFakeSweep(store, d);
    const r = await writeReport({ store, sweepId: d.sweep.sweepId, outDir: path.join(dir, "out") });
    hostIds = r.analysis.hostIds;
  } finally {
    store.close();
  }
  htmlFile = path.join(dir, "out", "report.html");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** A page offline, every request but the report file itself refused and recorded, console problems kept. */
async function openReport(): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const context = await browser!.newContext({ offline: true, viewport: VIEWPORT });
  const requests: string[] = [];
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    if (url.startsWith("file:")) return route.continue();
    requests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()}`));
  await page.goto(pathToFileURL(htmlFile).href, { waitUntil: "load" });
  return { page, problems, requests };
}

describe.skipIf(!hasChromium)("report.html in chromium", () => {
  it("loads offline without console errors or requests and renders every chart with hover text", async () => {
    const { page, problems, requests } = await openReport();
    expect(await page.title()).toContain("specgrid report");
    // Locators rather than $$eval: the project compiles without DOM types.
    const figures = await page.locator("figure.chart").all();
    const charts = [];
    for (const f of figures) {
      const box = await f.locator("svg").first().boundingBox();
      const points = f.locator('svg [aria-roledescription="point"], svg [aria-roledescription="bar"]');
      charts.push({
        id: (await f.getAttribute("id")) ?? "",
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        marks: await f.locator("svg path, svg line, svg rect, svg text").count(),
        points: await points.count(),
        titles: (await f.locator("svg title").allTextContents()).map((t) => t.trim()),
      });
    }
    expect(charts.map((c) => c.id)).toEqual(CHARTS.map((c) => `chart-${c}`));
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(200);
      expect(c.height, c.id).toBeGreaterThan(60);
      expect(c.marks, c.id).toBeGreaterThan(8);
      // every data point carries its hover text, naming its host
      expect(c.points, c.id).toBeGreaterThan(0);
      expect(c.titles.length, c.id).toBeGreaterThanOrEqual(c.points);
      for (const t of c.titles) expect(t, c.id).toMatch(new RegExp(`^(${hostIds.join("|")}), `));
    }
    expect(await page.locator("table").count()).toBeGreaterThan(5);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.context().close();
  });

  it("shows the verdict per host on the first screen, above the first chart, and keeps a screenshot", async () => {
    const { page } = await openReport();
    const verdicts = await page.locator("table.verdict").all();
    expect(verdicts.length).toBe(hostIds.length); // one per host
    const firstChart = await page.locator("figure.chart").first().boundingBox();
    expect(firstChart).not.toBeNull();
    for (const [i, v] of verdicts.entries()) {
      const box = await v.boundingBox();
      expect(box, `verdict ${i}`).not.toBeNull();
      expect(box!.y + box!.height, `verdict ${i}`).toBeLessThan(firstChart!.y);
    }
    // the first screen shows the heading and the verdict column of every host's table
    for (const host of hostIds) {
      const heading = await page.getByRole("heading", { name: `Verdict: ${host}` }).boundingBox();
      expect(heading, host).not.toBeNull();
      expect(heading!.y + heading!.height, host).toBeLessThan(VIEWPORT.height);
    }
    const lastVerdict = await page.locator("table.verdict").last().locator("tbody tr").first().boundingBox();
    expect(lastVerdict!.y + lastVerdict!.height).toBeLessThan(VIEWPORT.height);
    const shot = path.join(dir, "report-top.png");
    await page.screenshot({ path: shot });
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(VIEWPORT.width); // the IHDR width: the viewport, not the full page
    const keep = process.env.SPECGRID_SCREENSHOT_DIR;
    if (keep !== undefined && keep !== "") {
      mkdirSync(keep, { recursive: true });
      copyFileSync(shot, path.join(keep, "report-top.png"));
    }
    await page.context().close();
  });

  it("draws K on integer ticks only", async () => {
    const { page } = await openReport();
    for (const chart of ["k-throughput", "speedup"]) {
      const axes = page.locator(`figure#chart-${chart} g.role-axis[aria-label^="X-axis titled 'K"]`);
      expect(await axes.count(), chart).toBeGreaterThan(0);
      for (const axis of await axes.all()) {
        const labels = (await axis.locator("g.role-axis-label text").allTextContents()).map((t) => t.trim());
        expect(labels.length, chart).toBeGreaterThan(1);
        for (const l of labels) expect(l, `${chart} K tick`).toMatch(/^\d+$/);
        // a 1.5 tick formatted as "2" would repeat a label: every tick is its own whole K
        expect(new Set(labels).size, chart).toBe(labels.length);
      }
    }
    await page.context().close();
  });

  it("tells the K levels apart by colour and shape, and names the batching draft in full", async () => {
    const { page } = await openReport();
    const legend = page.locator('figure#chart-temperature-acceptance g.role-legend[aria-label*="K"]');
    const labels = (await legend.locator("g.role-legend-label text").allTextContents()).map((t) => t.trim());
    expect(labels).toEqual(["K=1", "K=2", "K=3"]);
    const symbols = await legend.locator("g.role-legend-symbol path").all();
    const fills = new Set<string | null>();
    const shapes = new Set<string | null>();
    for (const sym of symbols) {
      fills.add(await sym.getAttribute("fill"));
      shapes.add(await sym.getAttribute("d"));
    }
    expect(symbols.length).toBe(3);
    expect(fills.size).toBe(3);
    expect(shapes.size).toBe(3);
    const batching = await page
      .locator("figure#chart-batching g.role-legend g.role-legend-label text")
      .allTextContents();
    expect(batching.map((t) => t.trim()).sort()).toEqual(["with draft tinyllama-1.1b", "without draft"]);
    await page.context().close();
  });

  it("links every top-level section from the contents bar, and print hides the bar", async () => {
    const { page } = await openReport();
    const links = page.locator("nav.contents a");
    const sections = await page.locator("body > h2").allTextContents();
    expect(await links.allTextContents()).toEqual(sections);
    expect(sections.slice(0, 3)).toEqual(["Verdict", "What ran", "Charts"]);
    for (const link of await links.all()) {
      const href = (await link.getAttribute("href")) ?? "";
      expect(href).toMatch(/^#[a-z0-9-]+$/);
      expect(await page.locator(`[id="${href.slice(1)}"]`).count(), href).toBe(1);
    }
    await links.filter({ hasText: "Charts" }).click();
    const charts = await page.locator("#charts").boundingBox();
    expect(charts!.y).toBeLessThan(VIEWPORT.height / 2); // scrolled to, clear of the sticky bar
    expect(charts!.y).toBeGreaterThan(0);
    expect(await page.locator("nav.contents").isVisible()).toBe(true);
    await page.emulateMedia({ media: "print" });
    expect(await page.locator("nav.contents").isVisible()).toBe(false);
    await page.context().close();
  });

  it("sorts a table by the clicked column, numbers as numbers, both ways", async () => {
    const { page } = await openReport();
    const table = page.locator("table", { has: page.locator("th", { hasText: /^decode t\/s/ }) }).first();
    const headers = (await table.locator("thead th").allTextContents()).map((t) => t.trim());
    const col = headers.findIndex((h) => /^decode t\/s/.test(h));
    expect(col).toBeGreaterThanOrEqual(0);
    const column = async (): Promise<number[]> =>
      (await table.locator(`tbody tr td:nth-child(${col + 1})`).allTextContents()).map((t) => parseFloat(t));
    const before = await column();
    expect(before.length).toBeGreaterThan(2);
    const ascending = [...before].sort((x, y) => x - y);
    expect(before).not.toEqual(ascending); // else the click below could not show anything
    const th = table.locator("thead th").nth(col);
    await th.locator("button").click();
    expect(await th.getAttribute("aria-sort")).toBe("ascending");
    expect(await column()).toEqual(ascending);
    await th.locator("button").click();
    expect(await th.getAttribute("aria-sort")).toBe("descending");
    expect(await column()).toEqual([...ascending].reverse());
    await page.context().close();
  });
});
