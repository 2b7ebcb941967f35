// A sweep that ran on two hosts, stored in a real SQLite file: report.md and report.html open with a
// verdict per host, then draw the hosts side by side (each host's baseline, recomputed from the stored
// rows) and where each host's time went (generation and model loads, recomputed from the stored rows);
// a one-host sweep says why it has no side-by-side chart and which time parts were not recorded.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { summarize } from "../../core/stats/summarize.js";
import { openStore, type Store } from "../../cli/store/open-store.js";
import { formatNumber } from "../../cli/report/format-number.js";
import { writeReport, type ReportResult } from "../../cli/report/write-report.js";
import { DEFAULT_HOSTS, fakeSweep, storeFakeSweep } from "../support/fake-results.js";

let dir: string;
let store: Store;

/** The <title>s (hover texts) inside one chart's figure in report.html. */
function chartTitles(html: string, name: string): string[] {
  const start = html.indexOf(`<figure class="chart" id="chart-${name}">`);
  expect(start, name).toBeGreaterThan(0);
  const figure = html.slice(start, html.indexOf("</figure>", start));
  return [...figure.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]!);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "specgrid-report-hosts-"));
  store = openStore(path.join(dir, "results.sqlite"));
});

afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a two-host sweep's report", () => {
  let report: ReportResult;
  let md: string;
  let html: string;
  const sweepId = "sw-two-hosts";

  beforeAll(async () => {
    const d = fakeSweep({
      seed: 21,
      sweepId,
      ks: [1, 2],
      temperatures: [0, 1],
      repeats: 2,
      concurrency: [1, 2],
      recordLoads: true,
    });
    storeFakeSweep(store, d);
    report = await writeReport({ store, sweepId, outDir: path.join(dir, "two") });
    md = readFileSync(path.join(dir, "two", "report.md"), "utf8");
    html = readFileSync(path.join(dir, "two", "report.html"), "utf8");
  });

  it("opens with a verdict per host in both files, before the first chart", () => {
    const hosts = DEFAULT_HOSTS.map((h) => h.hostId);
    expect(report.analysis.hostIds).toEqual(hosts);
    expect(report.missingCharts).toEqual([]);
    const firstChartMd = md.indexOf("![");
    const firstChartHtml = html.indexOf('<figure class="chart"');
    for (const host of hosts) {
      const verdicts = report.verdicts.filter((v) => v.hostId === host);
      expect(verdicts.length, host).toBe(2); // one per pair
      const mdAt = md.indexOf(`### Verdict: ${host}`);
      const htmlAt = html.indexOf(`>Verdict: ${host}</h3>`);
      expect(mdAt, host).toBeGreaterThan(0);
      expect(htmlAt, host).toBeGreaterThan(0);
      expect(mdAt, host).toBeLessThan(firstChartMd);
      expect(htmlAt, host).toBeLessThan(firstChartHtml);
      // each verdict sentence sits under its own host's heading (up to the next one) in both files
      const section = (text: string, at: number, last: number): string => {
        const end = text.indexOf("Verdict: ", at + `Verdict: ${host}`.length + 4);
        return text.slice(at, end < 0 || end > last ? last : end);
      };
      for (const v of verdicts) {
        expect(section(md, mdAt, firstChartMd), host).toContain(`| ${v.text} |`);
        expect(section(html, htmlAt, firstChartHtml), host).toContain(`<td>${v.text}</td>`);
      }
    }
    expect(html.match(/<table class="verdict">/g)?.length).toBe(2);
  });

  it("draws the hosts side by side with each host's baseline as the database holds it", () => {
    expect(md).toMatch(/!\[Hosts side by side[^\]]*\]\(chart-hardware\.png\)/);
    expect(md.indexOf("chart-hardware.png")).toBeGreaterThan(md.indexOf("## Charts"));
    const titles = chartTitles(html, "hardware");
    const baselines = store.sqlite
      .prepare<[string], { host: string; t: number; tps: number }>(
        `SELECT r.host_id AS host, c.temperature AS t, r.decode_tps AS tps
           FROM results r JOIN cells c USING (sweep_id, cell_id)
          WHERE r.sweep_id = ? AND c.kind = 'baseline' AND r.status = 'ok'`,
      )
      .all(sweepId);
    const pairs = [...new Set(report.analysis.speculative.map((g) => g.pair))];
    expect(pairs.length).toBe(2);
    for (const host of report.analysis.hostIds) {
      for (const t of [0, 1]) {
        const mean = summarize(baselines.filter((b) => b.host === host && b.t === t).map((b) => b.tps)).mean;
        for (const pair of pairs) {
          expect(titles, `${host} ${pair} T=${t}`).toContain(
            `${host}, ${pair}, T=${t}: baseline ${formatNumber(mean)} t/s`,
          );
          expect(
            titles.some(
              (x) => x.startsWith(`${host}, ${pair}, T=${t}: `) && / t\/s at its best K=\d+/.test(x),
            ),
            `${host} ${pair} T=${t}`,
          ).toBe(true);
        }
      }
    }
  });

  it("shows where each host's time went as the database records it, and says idle time is not recorded", () => {
    expect(md).toMatch(/!\[Where the time went[^\]]*\]\(chart-time\.png\)/);
    expect(md).toContain("Idle time is not recorded");
    const titles = chartTitles(html, "time");
    const perHost = store.sqlite
      .prepare<[string], { host: string; decode: number; shards: number }>(
        `SELECT host_id AS host, SUM(decode_ms) AS decode, COUNT(DISTINCT shard_id) AS shards
           FROM results WHERE sweep_id = ? GROUP BY host_id`,
      )
      .all(sweepId);
    expect(perHost.length).toBe(2);
    for (const row of perHost) {
      const host = DEFAULT_HOSTS.find((h) => h.hostId === row.host)!;
      expect(titles).toContain(`${row.host}, generation: ${formatNumber(row.decode / 1000, 1)} s`);
      // the fixture's loads: one per host and shard, each 100 target steps long
      expect(titles).toContain(
        `${row.host}, model load: ${formatNumber((row.shards * host.targetStepMs * 100) / 1000, 1)} s`,
      );
      for (const part of ["warm-up", "prompt processing"])
        expect(titles.some((x) => x.startsWith(`${row.host}, ${part}: `))).toBe(true);
      expect(titles.some((x) => x.startsWith(`${row.host}, span of its cells: `))).toBe(true);
    }
  });
});

describe("a one-host sweep's report", () => {
  it("says why there is no side-by-side chart and which parts of the time were not recorded", async () => {
    const sweepId = "sw-one-host";
    const d = fakeSweep({
      seed: 22,
      sweepId,
      hosts: [DEFAULT_HOSTS[0]!],
      ks: [1, 2],
      temperatures: [0],
      repeats: 2,
      concurrency: [],
    });
    storeFakeSweep(store, d);
    const r = await writeReport({ store, sweepId, outDir: path.join(dir, "one") });
    expect(r.missingCharts).toEqual(["batching", "hardware"]);
    const text = readFileSync(path.join(dir, "one", "report.md"), "utf8");
    expect(text).toContain("No hardware chart: no pair and temperature ran on two or more hosts.");
    expect(text).toContain(
      "host-a100: no result recorded model load time or a warm-up or prompt processing time, so the bar leaves them out.",
    );
    expect(text).toContain("chart-time.png");
    const html = readFileSync(path.join(dir, "one", "report.html"), "utf8");
    const titles = chartTitles(html, "time");
    expect(titles.filter((t) => t.startsWith("host-a100, generation: ")).length).toBe(1);
    expect(titles.some((t) => /model load|warm-up|prompt processing/.test(t))).toBe(false);
  });
});
