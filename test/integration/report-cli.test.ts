// The results-side commands through oclif (as the CLI runs them), on a real SQLite file in a temp dir.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { runCommand } from "@oclif/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { CompareResult } from "../../cli/commands/compare.js";
import type { ReportCommandResult } from "../../cli/commands/report.js";
import type { ResultsExportResult } from "../../cli/commands/results/export.js";
import type { ResultsListResult } from "../../cli/commands/results/list.js";
import { openStore } from "../../cli/store/open-store.js";
import { DEFAULT_PAIRS, fakeSweep } from "../support/fake-results.js";
import { CHART_NAMES } from "../../cli/report/chart-specs.js";

let dir: string;
let db: string;
let total: number;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "specgrid-cli-"));
  db = path.join(dir, "r.sqlite");
  const store = openStore(db);
  try {
    const sweeps = [
      fakeSweep({ seed: 1, sweepId: "sw-a", repeats: 3, invalidFraction: 0.05 }),
      fakeSweep({ seed: 2, sweepId: "sw-repro", repeats: 3 }),
      fakeSweep({
        seed: 3,
        sweepId: "sw-noisier",
        repeats: 3,
        pairs: DEFAULT_PAIRS.map((p) => ({ ...p, alpha0: p.alpha0 - 0.2 })),
      }),
    ];
    for (const d of sweeps) {
      store.upsertSweep(d.sweep);
      store.upsertHosts(d.sweep.sweepId, d.hosts);
      store.upsertCells(d.sweep.sweepId, d.cells);
      store.ingestResults(d.results);
    }
    total = sweeps[0]!.results.length;
  } finally {
    store.close();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("specgrid report / results / compare", () => {
  it("report writes the files and returns the answers as JSON", async () => {
    const out = path.join(dir, "out");
    const { result, error } = await runCommand<ReportCommandResult>([
      "report",
      "sw-a",
      "--db",
      db,
      "--out",
      out,
      "--json",
    ]);
    expect(error).toBeUndefined();
    // report.md, report.html and an SVG and a PNG per chart (a two-host sweep with batching draws them all)
    expect(result!.files).toHaveLength(2 + 2 * CHART_NAMES.length);
    expect(result!.results).toBe(total);
    expect(result!.invalid).toBeGreaterThan(0);
    expect(result!.answers.map((a) => a.id)).toContain("break-even");
    // each answer as report.md prints it: the headline under the question, the derivation after it
    const md = readFileSync(path.join(out, "report.md"), "utf8");
    for (const a of result!.answers) {
      expect(["answered", "partly-noisy", "too-noisy", "no-data"]).toContain(a.status);
      if (a.status === "answered") expect(a.reason, a.id).toBeUndefined();
      else expect(a.reason, a.id).toMatch(/\w/);
      expect(md, a.id).toContain(`### ${a.title}\n\n${a.short}`);
      for (const line of a.details) expect(md, a.id).toContain(`- ${line}\n`);
    }
    // The verdicts the report opens with, one per host and pair, each with its sentence.
    expect(result!.verdicts.length).toBeGreaterThan(0);
    for (const v of result!.verdicts) {
      expect(["enable", "do-not-enable", "not-enough-stable-data"]).toContain(v.verdict);
      expect(v.text.length).toBeGreaterThan(0);
      expect(v.host_id.length).toBeGreaterThan(0);
    }
  });

  it("report of an unknown sweep exits 2 and names the sweeps there are", async () => {
    const { error } = await runCommand(["report", "sw-missing", "--db", db]);
    expect(error?.oclif?.exit).toBe(2);
    expect(error?.message).toMatch(/sw-missing is not in .*sw-a/);
  });

  it("refuses a foreign database without changing it", async () => {
    const foreign = path.join(dir, "notes.txt");
    writeFileSync(foreign, "just some notes\n");
    const { error } = await runCommand(["results", "list", "--db", foreign]);
    expect(error?.oclif?.exit).toBe(2);
    expect(error?.message).toMatch(/not a SQLite database/);
    expect(readFileSync(foreign, "utf8")).toBe("just some notes\n");
  });

  it("results list and export agree with what was stored", async () => {
    const { result: list } = await runCommand<ResultsListResult>(["results", "list", "--db", db, "--json"]);
    expect(list!.sweeps.map((s) => s.sweep_id).sort()).toEqual(["sw-a", "sw-noisier", "sw-repro"]);
    const a = list!.sweeps.find((s) => s.sweep_id === "sw-a")!;
    expect(a.results).toBe(total);
    expect(a.valid + a.invalid + a.failed).toBe(total);

    const csv = path.join(dir, "a.csv");
    const { result: exp } = await runCommand<ResultsExportResult>([
      "results",
      "export",
      "--format",
      "csv",
      "--sweep",
      "sw-a",
      "--db",
      db,
      "--out",
      csv,
      "--json",
    ]);
    expect(exp!.rows).toBe(total);
    const lines = readFileSync(csv, "utf8").trimEnd().split("\r\n");
    expect(lines).toHaveLength(total + 1);
    expect(lines[0]).toMatch(/^sweep_id,cell_id,host_id,status,/);
  });

  it("compare gives agree for a reproduction and differ for a changed draft", async () => {
    const { result: same } = await runCommand<CompareResult>([
      "compare",
      "sw-a",
      "sw-repro",
      "--db",
      db,
      "--json",
    ]);
    const verdict = (r: CompareResult | undefined, m: string): string | undefined =>
      r?.sweeps?.metrics.find((x) => x.metric === m)?.verdict;
    expect(verdict(same, "acceptRate")).toBe("agree");
    expect(verdict(same, "decodeTps")).toBe("agree");
    const { result: changed } = await runCommand<CompareResult>([
      "compare",
      "sw-a",
      "sw-noisier",
      "--db",
      db,
      "--json",
    ]);
    expect(verdict(changed, "acceptRate")).toBe("differ");
    expect(verdict(changed, "speedup")).toBe("differ");
  });

  it("compare --by host puts the hosts side by side; bad flag combinations exit 2", async () => {
    const { result } = await runCommand<CompareResult>([
      "compare",
      "sw-a",
      "--by",
      "host",
      "--db",
      db,
      "--json",
    ]);
    expect(result!.by_host!.hosts).toEqual(["host-a100", "host-l4"]);
    expect(Object.keys(result!.by_host!.rows[0]!.hosts)).toEqual(["host-a100", "host-l4"]);
    const { error } = await runCommand(["compare", "sw-a", "--db", db]);
    expect(error?.oclif?.exit).toBe(2);
    expect(error?.message).toMatch(/two sweep ids/);
  });
});
