// The report over a fake sweep stored in a real SQLite file: every chart, table and answer is written, and
// a few figures recomputed straight from the database appear in the report as printed.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { summarize } from "../../core/stats/summarize.js";
import { openStore, type Store } from "../../cli/store/open-store.js";
import { REPORT_QUESTIONS } from "../../cli/report/answer-questions.js";
import { formatNumber, formatSummary } from "../../cli/report/format-number.js";
import { writeReport, type ReportResult } from "../../cli/report/write-report.js";
import { CHART_NAMES } from "../../cli/report/chart-specs.js";
import { fakeSweep, storeFakeSweep, type FakeSweep } from "../support/fake-results.js";

let dir: string;
let store: Store;
let report: ReportResult;
let md: string;
let data: FakeSweep;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "specgrid-report-"));
  store = openStore(path.join(dir, "results.sqlite"));
  data = fakeSweep({ seed: 11, invalidFraction: 0.05, greedyMismatches: 2 });
  storeFakeSweep(store, data);
  report = await writeReport({ store, sweepId: data.sweep.sweepId, outDir: path.join(dir, "out") });
  md = readFileSync(path.join(dir, "out", "report.md"), "utf8");
});

afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("writeReport", () => {
  it("writes report.md, report.html and every chart as non-empty SVG and PNG", () => {
    const names = report.files.map((f) => path.basename(f)).sort();
    expect(names).toEqual(
      [
        "report.md",
        "report.html",
        ...CHART_NAMES.flatMap((c) => [`chart-${c}.svg`, `chart-${c}.png`]),
      ].sort(),
    );
    for (const f of report.files) expect(statSync(f).size).toBeGreaterThan(500);
    const png = readFileSync(path.join(dir, "out", "chart-speedup.png"));
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    const html = readFileSync(path.join(dir, "out", "report.html"), "utf8");
    expect(html.match(/<svg/g)?.length).toBe(CHART_NAMES.length);
    // one file: the only script is inline, nothing is fetched (the SVGs' xmlns are names, not requests)
    expect(html.match(/<script/g)?.length).toBe(1);
    expect(html).toContain("<script>");
    expect(html).not.toMatch(/\ssrc=|href="(?!#)|url\((?!#)|@import/);
    // "What ran" says, per host, how many model loads there were and their time against the time in cells
    const whatRan = md.slice(md.indexOf("# What ran"), md.indexOf("# Charts"));
    for (const host of report.analysis.hostIds)
      expect(whatRan).toMatch(
        new RegExp(`${host}: (\\d+ model load\\(s\\) taking|no result reported a model load time)`),
      );
  });

  it("answers every question and lists tables, invalid results and flagged greedy outputs", () => {
    // every question, in the order test/unit/report-answer-questions.test.ts fixes
    expect(report.answers.map((a) => a.id)).toEqual(REPORT_QUESTIONS.map((q) => q.id));
    for (const a of report.answers) expect(a.numbers.length, a.id).toBeGreaterThan(0);
    for (const heading of [
      "## Recommendations for production",
      "### Baseline throughput",
      "### K table: host-a100",
      "### Temperature table: host-l4",
      "### Memory: target alone vs with draft",
      "## Greedy output check",
      "## Invalid and failed results",
    ]) {
      expect(md).toContain(heading);
    }
    expect(report.recommendations.length).toBeGreaterThan(0);
    expect(md).toContain("FLAGGED: 2 of");
    const invalid = data.results.filter((r) => r.outcome.status !== "ok").length;
    expect(invalid).toBeGreaterThan(0);
    expect(md).toContain(`${invalid} result(s) were not counted in any mean`);
  });

  it("prints figures that match the database", () => {
    // Baseline decode t/s of one host at T=0, straight from SQL.
    const rows = store.sqlite
      .prepare<[], { decode_tps: number }>(
        `SELECT r.decode_tps FROM results r JOIN cells c USING (sweep_id, cell_id)
          WHERE r.host_id = 'host-l4' AND c.kind = 'baseline' AND c.temperature = 0 AND r.status = 'ok'`,
      )
      .all()
      .map((r) => r.decode_tps);
    expect(rows.length).toBeGreaterThan(1);
    expect(md).toContain(`T=0: ${formatSummary(summarize(rows), 1)}`);

    // Acceptance pooled per (host, pair, K, temperature): Σ accepted / Σ drafted over the stored rows.
    const acc = store.sqlite
      .prepare<[], { host: string; pair: string; k: number; t: number; a: number; d: number; runs: number }>(
        `SELECT r.host_id AS host, c.target_name || '+' || c.draft_name AS pair, c.k AS k, c.temperature AS t,
                SUM(r.n_accept) AS a, SUM(r.n_drafted) AS d, COUNT(*) AS runs
           FROM results r JOIN cells c USING (sweep_id, cell_id)
          WHERE c.kind = 'speculative' AND r.status = 'ok' GROUP BY host, pair, k, t`,
      )
      .all();
    expect(acc.length).toBeGreaterThan(10);
    const answer = report.answers.find((x) => x.id === "acceptance")!;
    for (const row of acc) {
      const n = answer.numbers.find(
        (x) => x.hostId === row.host && x.pair === row.pair && x.k === row.k && x.temperature === row.t,
      );
      expect(n, `${row.host} ${row.pair} K=${row.k} T=${row.t}`).toBeDefined();
      expect(n!.pooledAcceptRate).toBe(row.a / row.d);
      expect(md).toContain(
        `K=${row.k} ${((row.a / row.d) * 100).toFixed(1)}% (${row.a}/${row.d} drafted tokens, ${row.runs} runs;`,
      );
    }

    // Speedup of one K-table row: geometric mean of the paired speculative / baseline decode t/s ratios.
    const ratios = store.sqlite
      .prepare<[], { s: number; b: number }>(
        `SELECT r.decode_tps AS s, rb.decode_tps AS b
           FROM results r JOIN cells c USING (sweep_id, cell_id)
           JOIN cells cb ON cb.sweep_id = c.sweep_id AND cb.kind = 'baseline' AND cb.temperature = c.temperature
                        AND cb.prompt_index = c.prompt_index AND cb.seed = c.seed AND cb.repeat = c.repeat
           JOIN results rb ON rb.sweep_id = cb.sweep_id AND rb.cell_id = cb.cell_id AND rb.host_id = r.host_id
          WHERE r.host_id = 'host-a100' AND c.kind = 'speculative' AND c.draft_name = 'tinyllama-1.1b'
            AND c.k = 4 AND c.temperature = 0.5 AND r.status = 'ok' AND rb.status = 'ok'`,
      )
      .all();
    expect(ratios.length).toBeGreaterThan(1);
    const geo = Math.exp(ratios.reduce((acc, x) => acc + Math.log(x.s / x.b), 0) / ratios.length);
    const spec = store.sqlite
      .prepare<[], { m: number }>(
        `SELECT AVG(r.decode_tps) AS m FROM results r JOIN cells c USING (sweep_id, cell_id)
          WHERE r.host_id = 'host-a100' AND c.kind = 'speculative' AND c.draft_name = 'tinyllama-1.1b'
            AND c.k = 4 AND c.temperature = 0.5 AND r.status = 'ok'`,
      )
      .get()!.m;
    const row = md
      .split("\n")
      .find((l) => l.startsWith("| llama2-7b+tinyllama-1.1b | 0.5 | 4 |") && l.includes(formatNumber(spec)));
    expect(row, "K-table row for host-a100, T=0.5, K=4").toBeDefined();
    expect(row).toContain(`| ${formatNumber(geo)} |`);
  });

  it("never prints an interval below 0 t/s, and labels α and the theory as measured", () => {
    for (const b of report.analysis.baselines) expect(b.decodeTps.ci95[0]).toBeGreaterThan(0);
    for (const g of report.analysis.speculative) {
      expect(g.decodeTps.ci95[0]).toBeGreaterThan(0);
      if (g.speedupCi95 !== undefined) expect(g.speedupCi95[0]).toBeGreaterThan(0);
    }
    // the fake engine records accepted-by-position and model times, so nothing needs fitting
    for (const f of report.analysis.fits) {
      expect(f.alphaSource).toBe("measured");
      expect(f.cSource).toBe("measured");
    }
    const theory = report.answers.find((x) => x.id === "speedup-vs-theory")!;
    expect(theory.details.join("\n")).toContain("measured from accepted-by-position");
    expect(theory.details.join("\n")).toContain("measured verification cost v(");
    expect(report.answers.find((x) => x.id === "break-even")!.details.join("\n")).not.toMatch(/fitted α/);
  });
});

describe("writeReport refusals and gaps", () => {
  it("refuses an unknown sweep and a sweep with only invalid results, and says what to do", async () => {
    const s = openStore(path.join(dir, "refuse.sqlite"));
    try {
      await expect(writeReport({ store: s, sweepId: "nope", outDir: dir })).rejects.toThrow(
        /not in .*results pull/,
      );
      const bad = fakeSweep({ seed: 2, sweepId: "sw-bad", repeats: 1, concurrency: [] });
      s.upsertSweep(bad.sweep);
      s.ingestResults(
        bad.results.map((r) => ({
          ...r,
          outcome: { status: "failed" as const, invalidReason: "crashed" as const, message: "exit 139" },
        })),
      );
      await expect(writeReport({ store: s, sweepId: "sw-bad", outDir: dir })).rejects.toThrow(
        new RegExp(`none is valid \\(crashed: ${bad.results.length}\\)`),
      );
    } finally {
      s.close();
    }
  });

  it("says so when a section has no data instead of printing numbers", async () => {
    const s = openStore(path.join(dir, "gaps.sqlite"));
    try {
      const d = fakeSweep({ seed: 5, sweepId: "sw-nobatch", repeats: 2, concurrency: [], temperatures: [0] });
      storeFakeSweep(s, d);
      const r = await writeReport({ store: s, sweepId: "sw-nobatch", outDir: path.join(dir, "gaps") });
      expect(r.missingCharts).toEqual(["batching"]);
      const text = readFileSync(path.join(dir, "gaps", "report.md"), "utf8");
      expect(text).toContain("No batching chart: no parallel cells in this sweep.");
      expect(text).toContain("batching was not measured");
      expect(text).toContain("Fewer than two temperatures measured");
    } finally {
      s.close();
    }
  });
});
