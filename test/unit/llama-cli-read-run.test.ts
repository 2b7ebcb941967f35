// How a finished CLI run maps onto a cell outcome, over the captured outputs (no processes here).
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Cell } from "../../core/cell.js";
import type { ProcessResult } from "../../agents/process/run-process.js";
import { readCliRun } from "../../agents/engines/llama-cli/read-cli-run.js";
import type { LlamaCliTool } from "../../agents/engines/llama-cli/build-cli-argv.js";
import { REPLAY_FIXTURES } from "../support/replay-llama.js";

const read = (f: string): string => readFileSync(path.join(REPLAY_FIXTURES, f), "utf8");

const cell: Cell = {
  cellId: "c",
  kind: "speculative",
  engine: "llama-speculative-simple",
  target: { name: "t" },
  draft: { name: "d" },
  k: { kind: "fixed", k: 4 },
  temperature: 0,
  prompt: "p",
  promptHash: "h",
  promptIndex: 0,
  nPredict: 64,
  seed: 42,
  repeat: 0,
  llama: { gpuLayers: 0, ctx: 1024, flashAttn: "auto" },
};

function run(capture: string | undefined, over: Partial<ProcessResult> = {}): ProcessResult {
  const stderr = capture ? read(`${capture}.stderr`) : "";
  return {
    argv: ["/bin/tool"],
    pid: 1,
    exitCode: 0,
    signal: null,
    stdout: capture ? read(`${capture}.stdout`) : "",
    stderr,
    stderrTail: stderr.split("\n").slice(-40).join("\n"),
    timedOut: false,
    cancelled: false,
    outputCapped: false,
    wallMs: 1000,
    ...over,
  };
}

const dropTail = (text: string, lines: number): string =>
  text.trimEnd().split("\n").slice(0, -lines).join("\n");

describe("readCliRun", () => {
  it.each<{
    name: string;
    tool: LlamaCliTool;
    result: ProcessResult;
    kind: string;
    status: string;
    reason?: string;
  }>([
    {
      name: "complete speculative run",
      tool: "llama-speculative-simple",
      result: run("llama-speculative-simple-n05-k4-t0"),
      kind: "done",
      status: "ok",
    },
    {
      name: "closing lines lost at exit (rc 0)",
      tool: "llama-speculative-simple",
      result: (() => {
        const r = run("llama-speculative-simple-n05-k4-t0");
        return { ...r, stderr: dropTail(r.stderr, 3) };
      })(),
      kind: "truncated",
      status: "invalid",
      reason: "output-truncated",
    },
    {
      name: "timeout",
      tool: "llama-completion",
      result: run(undefined, { timedOut: true, exitCode: null, signal: "SIGTERM" }),
      kind: "done",
      status: "failed",
      reason: "timeout",
    },
    {
      name: "cancel",
      tool: "llama-completion",
      result: run(undefined, { cancelled: true, exitCode: null, signal: "SIGTERM" }),
      kind: "done",
      status: "failed",
      reason: "cancelled",
    },
    {
      name: "missing binary",
      tool: "llama-completion",
      result: run(undefined, { spawnError: "ENOENT: spawn", exitCode: null }),
      kind: "done",
      status: "failed",
      reason: "error",
    },
    {
      name: "SIGABRT",
      tool: "llama-speculative-simple",
      result: run(undefined, { exitCode: null, signal: "SIGABRT" }),
      kind: "done",
      status: "failed",
      reason: "crashed",
    },
    {
      name: "out of memory text",
      tool: "llama-speculative-simple",
      result: run(undefined, { exitCode: 1, stderr: read("oom-cuda.stderr") }),
      kind: "done",
      status: "failed",
      reason: "out-of-memory",
    },
    {
      name: "vocab mismatch",
      tool: "llama-speculative",
      result: run("llama-speculative-vocab-mismatch", { exitCode: 1 }),
      kind: "done",
      status: "failed",
      reason: "vocab-mismatch",
    },
    {
      name: "removed flag",
      tool: "llama-speculative",
      result: run("llama-speculative-removed-draft-max", { exitCode: 1 }),
      kind: "done",
      status: "failed",
      reason: "unsupported-flag",
    },
    {
      name: "nothing drafted",
      tool: "llama-speculative",
      result: run("llama-speculative-n0-k0-t0"),
      kind: "done",
      status: "invalid",
      reason: "speculation-not-engaged",
    },
  ])("$name", ({ tool, result, kind, status, reason }) => {
    const verdict = readCliRun(tool, cell, result);
    expect(verdict.kind).toBe(kind);
    expect(verdict.outcome.status).toBe(status);
    expect(verdict.outcome.invalidReason).toBe(reason);
    if (status !== "ok") expect(verdict.outcome.message).toBeTruthy();
  });

  it("n-gram types: the run's counters, and none drafted is a measurement (the type found no repeat), not a failure to engage", () => {
    const ngram: Cell = {
      ...cell,
      specType: "ngram-simple",
      specSettings: { "ngram-simple-size-n": 2, "ngram-simple-size-m": 8 },
      nPredict: 64,
    };
    delete ngram.draft;
    delete ngram.k;
    const drafted = readCliRun(
      "llama-speculative-simple",
      ngram,
      run("llama-speculative-simple-ngram-simple"),
    );
    expect(drafted.outcome.status).toBe("ok");
    expect(drafted.outcome.metrics).toMatchObject({ nDrafted: 14, nAccept: 3 });
    // the same output edited to nothing drafted (the tool prints -nan% then): invalid for draft-simple,
    // ok for an n-gram type
    const r = run("llama-speculative-simple-ngram-simple");
    const none = {
      ...r,
      stderr: r.stderr
        .replace(/n_drafted = 14/, "n_drafted = 0")
        .replace(/n_accept {2}= 3/, "n_accept  = 0")
        .replace(/accept {4}= 21.429%/, "accept    = -nan%"),
    };
    expect(none.stderr).toMatch(/n_drafted = 0\n/);
    expect(readCliRun("llama-speculative-simple", cell, none).outcome.invalidReason).toBe(
      "speculation-not-engaged",
    );
    const measured = readCliRun("llama-speculative-simple", ngram, none).outcome;
    expect(measured.status, measured.message).toBe("ok");
    expect(measured.metrics?.nDrafted).toBe(0);
  });

  it("stops early: fewer tokens than n_predict is not comparable", () => {
    const verdict = readCliRun(
      "llama-speculative-simple",
      { ...cell, nPredict: 1000 },
      run("llama-speculative-simple-n05-k4-t0"),
    );
    expect(verdict.outcome.invalidReason).toBe("stopped-early");
  });
});

describe("tree drafting on a build that cannot decode a branched tree", () => {
  const tree: Cell = { ...cell, engine: "llama-speculative", nParallel: 2, pSplit: 0.1, temperature: 0.8 };

  it.each([
    { exitCode: 134, reason: "crashed" },
    // the same failed decodes with the tool finishing: its counters (n_accept 0) are not of the run asked for
    { exitCode: 0, reason: "error" },
  ])("exit $exitCode: failed as $reason, naming the coupled sequences and -np", ({ exitCode, reason }) => {
    const v = readCliRun(
      "llama-speculative",
      tree,
      run("llama-speculative-np2-t0.8-coupled", { exitCode, signal: null }),
    );
    expect(v.kind).toBe("done");
    expect(v.outcome).toMatchObject({ status: "failed", invalidReason: reason });
    expect(v.outcome.message).toMatch(
      /could not decode a branched draft tree \(-np 2; \d+ decodes failed.*coupled sequences.*no -kvu/,
    );
  });

  it("failed decodes in any run are never counted", () => {
    const base = run("llama-speculative-simple-n05-k4-t0");
    const v = readCliRun("llama-speculative-simple", cell, {
      ...base,
      stderr: `${base.stderr}\n0.00.1 E llama_decode: failed to decode, ret = -1\n`,
    });
    expect(v.outcome).toMatchObject({ status: "failed", invalidReason: "error" });
    expect(v.outcome.message).toMatch(/printed 1 failed decodes/);
  });
});
