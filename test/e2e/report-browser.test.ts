// report.html in a real headless browser (Debian's chromium through playwright-core, no download): the page
// loads without console errors, each inlined SVG chart renders with a size and drawn marks, the verdict
// table comes before the first chart, and the K axes carry whole draft lengths only.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { openStore } from "../../cli/store/open-store.js";
import { writeReport } from "../../cli/report/write-report.js";
import { fakeSweep } from "../support/fake-results.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[report-browser] skipped: ${CHROMIUM} is absent (apt-get install chromium)`);

let dir: string;
let browser: Browser | undefined;
let htmlFile: string;

beforeAll(async () => {
  if (!hasChromium) return;
  dir = mkdtempSync(path.join(tmpdir(), "specgrid-browser-"));
  const store = openStore(path.join(dir, "r.sqlite"));
  try {
    // K 1 to 3: a default axis over so short a range ticks at 1.5 and 2.5
    const d = fakeSweep({ seed: 9, repeats: 2, invalidFraction: 0.05, ks: [1, 2, 3] });
    store.upsertSweep(d.sweep);
    store.upsertHosts(d.sweep.sweepId, d.hosts);
    store.upsertCells(d.sweep.sweepId, d.cells);
    store.ingestResults(d.results);
    await writeReport({ store, sweepId: d.sweep.sweepId, outDir: path.join(dir, "out") });
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

describe.skipIf(!hasChromium)("report.html in chromium", () => {
  it("loads without console errors and renders every chart", async () => {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()}`));
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: "load" });

    expect(await page.title()).toContain("specgrid report");
    // Locators rather than $$eval: the project compiles without DOM types.
    const figures = await page.locator("figure.chart").all();
    const charts = [];
    for (const f of figures) {
      const box = await f.locator("svg").first().boundingBox();
      charts.push({
        id: (await f.getAttribute("id")) ?? "",
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        marks: await f.locator("svg path, svg line, svg rect, svg text").count(),
      });
    }
    expect(charts.map((c) => c.id)).toEqual([
      "chart-k-throughput",
      "chart-temperature-acceptance",
      "chart-speedup",
      "chart-batching",
    ]);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(200);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(c.marks, c.id).toBeGreaterThan(20);
    }
    expect(await page.locator("table").count()).toBeGreaterThan(5);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("puts the verdict above the first chart and draws K on integer ticks only", async () => {
    const page = await browser!.newPage();
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: "load" });
    const verdict = await page.locator("table.verdict").first().boundingBox();
    const firstChart = await page.locator("figure.chart").first().boundingBox();
    expect(verdict).not.toBeNull();
    expect(firstChart).not.toBeNull();
    expect(verdict!.y + verdict!.height).toBeLessThan(firstChart!.y);
    expect(await page.locator("table.verdict").count()).toBe(2); // one per host
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
    await page.close();
  });
});
