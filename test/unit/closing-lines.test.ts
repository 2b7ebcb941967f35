// Lines that must not mislead: a stopped sweep shows no ETA, the closing line of run/demo states what the
// database holds (a demo said "cancelled, 17/114" while it held 26 results), and an empty llama-server
// response is refused instead of reading "truncated no" (that one with a real file and the CLI process).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEmbeddedResult } from "../../cli/workflows/run-embedded.js";
import { runSummaryLine } from "../../cli/workflows/run-summary-line.js";
import { renderProgress } from "../../cli/workflows/watch-progress.js";
import type { SweepStatus } from "../../core/wire/generated.js";
import { runCli } from "../support/run-cli.js";

const submittedAt = "2026-12-03T10:00:00.000Z";
const status = (state: string): SweepStatus => ({
  sweepId: "sw-1",
  name: "t",
  state,
  placementsTotal: 114,
  done: 17,
  valid: 17,
  invalid: 0,
  failed: 0,
  submittedAt,
  hosts: [],
  manifestResolvedJson: "",
  manifestYaml: "",
  shards: [],
});

describe("progress and closing lines", () => {
  const now = Date.parse(submittedAt) + 60_000;
  it("a running sweep shows an ETA; a cancelled or failed one does not", () => {
    expect(renderProgress(status("running"), now)[0]).toMatch(/ETA \d/);
    expect(renderProgress(status("cancelled"), now)[0]).not.toMatch(/ETA/);
    expect(renderProgress(status("failed"), now)[0]).not.toMatch(/ETA/);
  });

  it("a cancelled run's closing line leads with the results stored, the snapshot counts after", () => {
    const r = {
      sweep_id: "sw-1",
      status: { state: "cancelled", cells: { total: 114, done: 17, valid: 17, invalid: 0, failed: 0 } },
      results_stored: 26,
    } as RunEmbeddedResult;
    expect(runSummaryLine("demo sweep", r)).toBe(
      "demo sweep sw-1: cancelled; 26 result(s) stored (17/114 cells (valid 17, invalid 0, failed 0) when it stopped)",
    );
    const done = { ...r, status: { ...r.status, state: "done" }, results_stored: 114 };
    expect(runSummaryLine("sweep", done)).toMatch(
      /^sweep sw-1: done, 17\/114 cells .*; 114 result\(s\) stored$/,
    );
  });
});

describe("parse llama-server --response on an empty body", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "specgrid-closing-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("exits 1 saying the server sent nothing, never 'truncated no'", async () => {
    const file = path.join(dir, "empty.json");
    fs.writeFileSync(file, "");
    const run = await runCli(["parse", "llama-server", "--response", file]);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain(`--response ${file} is empty: llama-server sent no body`);
    expect(run.stdout).not.toMatch(/truncated\s+no/);
  });
});
