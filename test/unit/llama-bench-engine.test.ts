// The llama-bench engine (issue 14 item 4): argv from the probed build, threads capped at the idle cores,
// llama-bench's own mean and sd read from its captured -o json output, its failures named; and the
// manifest's llama_bench: planned as one bench cell per target and repeat on shards of their own.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildBenchArgv, type BenchTool } from "../../agents/engines/llama-bench/build-bench-argv.js";
import { benchThreads } from "../../agents/engines/llama-bench/llama-bench-engine.js";
import { readBenchRun } from "../../agents/engines/llama-bench/read-bench-run.js";
import { parseLlamaHelp } from "../../agents/probe/parse-llama-help.js";
import type { IdleCores } from "../../agents/probe/probe-idle-cores.js";
import { toolCapabilities } from "../../agents/probe/tool-capabilities.js";
import type { ProcessResult } from "../../agents/process/run-process.js";
import type { Cell } from "../../core/cell.js";
import { ENGINE_TRAITS, toolForCell } from "../../core/engines.js";
import { ManifestError, RejectedParameterError } from "../../core/errors.js";
import { sha256Hex } from "../../core/ids.js";
import { parseManifest } from "../../core/manifest/load-manifest.js";
import { shardNeeds } from "../../core/plan/shard-needs.js";
import { planSweep } from "../../core/plan/plan-sweep.js";
import { REPLAY_FIXTURES } from "../support/replay-llama.js";

const CAPTURES = path.resolve(import.meta.dirname, "../fixtures/llama-cpp");
const capture = (name: string): string => readFileSync(path.join(CAPTURES, name), "utf8");

const help = parseLlamaHelp(readFileSync(path.join(REPLAY_FIXTURES, "llama-bench-help.txt"), "utf8"));
const tool: BenchTool = {
  path: "/b/llama-bench",
  acceptedFlags: help.accepted,
  capabilities: toolCapabilities("llama-bench", help),
};

function benchCell(over: Partial<Cell> = {}): Cell {
  return {
    cellId: "b1",
    kind: "bench",
    engine: "llama-bench",
    target: { name: "t", file: "t.gguf" },
    temperature: 0,
    prompt: "",
    promptHash: sha256Hex(""),
    promptIndex: 0,
    // the captured run: -p 64 -n 32 -r 2
    nPredict: 32,
    seed: 42,
    repeat: 0,
    bench: { repetitions: 2, nPrompt: 64 },
    llama: { gpuLayers: 99, ctx: 1024, flashAttn: "auto", threads: 4 },
    ...over,
  };
}

function run(over: Partial<ProcessResult>): ProcessResult {
  return {
    argv: ["/b/llama-bench"],
    pid: 1,
    exitCode: 0,
    signal: null,
    stdout: "",
    stderr: "",
    stderrTail: "",
    timedOut: false,
    cancelled: false,
    outputCapped: false,
    wallMs: 1234,
    ...over,
  };
}

const idle = (idleCores: number, measured = true): IdleCores => ({
  cores: 8,
  idleCores,
  loadAvg1: 0,
  sampleMs: 250,
  measured,
});

/** The value following `flag` in argv. */
const after = (argv: string[], flag: string): string | undefined => argv[argv.indexOf(flag) + 1];

describe("llama-bench argv", () => {
  it("passes every value explicitly: -p, -n, -r, -o json, -t, -ngl", () => {
    const argv = buildBenchArgv(tool, benchCell(), "/m/t.gguf", 3);
    expect(argv[0]).toBe("/b/llama-bench");
    expect(after(argv, "-m")).toBe("/m/t.gguf");
    expect(after(argv, "-p")).toBe("64");
    expect(after(argv, "-n")).toBe("32");
    expect(after(argv, "-r")).toBe("2");
    expect(after(argv, "-o")).toBe("json");
    expect(after(argv, "-t")).toBe("3");
    expect(after(argv, "-ngl")).toBe("99");
    expect(argv).not.toContain("-fa");
  });

  it("tg only is -p 0; flash attention and batch are passed when set", () => {
    const argv = buildBenchArgv(
      tool,
      benchCell({
        bench: { repetitions: 5 },
        llama: { gpuLayers: 0, ctx: 512, flashAttn: "on", batch: 256 },
      }),
      "/m/t.gguf",
      1,
    );
    expect(after(argv, "-p")).toBe("0");
    expect(after(argv, "-fa")).toBe("on");
    expect(after(argv, "-b")).toBe("256");
  });

  it("refuses a cell that is not a bench cell, and a build whose llama-bench lacks a flag", () => {
    expect(() =>
      buildBenchArgv(tool, benchCell({ kind: "baseline", bench: undefined }), "/m/t.gguf", 1),
    ).toThrow(/llama-bench baselines only; cell b1 is a baseline cell/);
    const old = { ...tool, acceptedFlags: tool.acceptedFlags.filter((f) => f !== "-r") };
    expect(() => buildBenchArgv(old, benchCell(), "/m/t.gguf", 1)).toThrow(RejectedParameterError);
  });
});

describe("llama-bench threads", () => {
  it.each([
    { threads: 4, idleCores: 8, expected: 4 },
    { threads: 4, idleCores: 1.95, expected: 2 },
    { threads: 4, idleCores: 0.3, expected: 1 },
    { threads: undefined, idleCores: 2.9, expected: 2 },
  ])(
    "llama.threads $threads with $idleCores idle cores runs $expected",
    ({ threads, idleCores, expected }) => {
      const cell = benchCell({
        llama: { gpuLayers: 0, ctx: 512, flashAttn: "auto", ...(threads ? { threads } : {}) },
      });
      expect(benchThreads(cell, idle(idleCores))).toBe(expected);
    },
  );

  it("one thread where the idle cores cannot be measured", () => {
    expect(benchThreads(benchCell(), idle(8, false))).toBe(1);
  });
});

describe("readBenchRun on captured llama-bench output", () => {
  it("stores llama-bench's own tg and pp mean and sd (the captured -p 64 -n 32 -r 2 run)", () => {
    const out = readBenchRun(benchCell(), run({ stdout: capture("llama-bench-o-json.stdout") }));
    expect(out.status).toBe("ok");
    expect(out.metrics).toMatchObject({
      nDecoded: 32,
      decodeTps: 564.921376,
      decodeTpsSd: 711.775877,
      decodeMs: 274.634836,
      nPrompt: 64,
      promptTps: 4158.3328,
      promptTpsSd: 395.400048,
      promptMs: 15.460676,
      wallMs: 1234,
    });
  });

  it("a cell asking for another test than the output holds fails, naming the row", () => {
    const out = readBenchRun(
      benchCell({ nPredict: 128 }),
      run({ stdout: capture("llama-bench-o-json.stdout") }),
    );
    expect(out).toMatchObject({ status: "failed", invalidReason: "error" });
    expect(out.message).toMatch(/lacks the tg128 row/);
  });

  it("a model that does not load fails with llama-bench's own words", () => {
    const out = readBenchRun(
      benchCell(),
      run({
        exitCode: Number(capture("llama-bench-badmodel.rc").trim()),
        stdout: capture("llama-bench-badmodel.stdout"),
        stderr: capture("llama-bench-badmodel.stderr"),
      }),
    );
    expect(out).toMatchObject({ status: "failed", invalidReason: "error" });
    expect(out.message).toMatch(
      /llama-bench exited with code 1: llama_bench: error: failed to load model '\/models\/does-not-exist.gguf'/,
    );
  });

  it("an unclosed array at exit 0 is invalid, never counted", () => {
    const text = capture("llama-bench-o-json.stdout");
    const cut = text.slice(0, text.lastIndexOf("{"));
    const out = readBenchRun(benchCell(), run({ stdout: cut }));
    expect(out).toMatchObject({ status: "invalid", invalidReason: "output-truncated" });
  });

  it.each([
    { over: { timedOut: true, exitCode: null, signal: "SIGKILL" as const }, reason: "timeout" },
    { over: { cancelled: true, exitCode: null, signal: "SIGTERM" as const }, reason: "cancelled" },
    { over: { spawnError: "ENOENT" }, reason: "error" },
    { over: { exitCode: 134, signal: null }, reason: "crashed" },
  ])("$reason", ({ over, reason }) => {
    expect(readBenchRun(benchCell(), run(over))).toMatchObject({ status: "failed", invalidReason: reason });
  });
});

const manifest = (extra: string, engine = "llama-server"): string => `name: bench
engine: ${engine}
models:
  big: { file: big.gguf }
  small: { file: small.gguf }
  tiny: { file: tiny.gguf }
pairs:
  - { target: big, draft: small }
  - { target: big, draft: tiny }
prompts:
  - Hello there
sweep:
  k: [2]
  temperature: [0]
  n_predict: 32
  repeats: 3
${extra}`;

describe("llama_bench: in the manifest", () => {
  it("plans one bench cell per target and repeat, on llama-bench shards of their own", () => {
    const m = parseManifest(manifest("llama_bench: { repetitions: 4, n_prompt: 64 }\n"), "m.yaml", "/x");
    expect(m.llamaBench).toEqual({ repetitions: 4, nPrompt: 64 });
    const plan = planSweep(m);
    const bench = plan.cells.filter((c) => c.kind === "bench");
    // two pairs share the target: it is benched once per repeat
    expect(bench).toHaveLength(3);
    expect(plan.counts.bench).toBe(3);
    expect(plan.counts.total).toBe(plan.cells.length);
    expect(bench.map((c) => [c.target.name, c.nPredict, c.repeat, c.bench])).toEqual(
      [0, 1, 2].map((r) => ["big", 32, r, { repetitions: 4, nPrompt: 64 }]),
    );
    const shards = plan.shards.filter((s) => s.key.engine === "llama-bench");
    expect(shards.flatMap((s) => s.cells)).toEqual(bench);
    for (const s of shards) {
      expect(s.key.draft).toBeUndefined();
      expect(shardNeeds(s).tools).toEqual([{ tool: "llama-bench", flags: ["gpuLayers"] }]);
    }
    // the server baselines are planned as before
    expect(plan.counts.baseline).toBe(plan.counts.speculative);
  });

  it("llama-bench is a companion engine, never a manifest engine", () => {
    expect(ENGINE_TRAITS["llama-bench"]).toMatchObject({ manifest: false, companion: true });
    expect(toolForCell("llama-bench", "bench")).toBe("llama-bench");
    let err: unknown;
    try {
      parseManifest(manifest("", "llama-bench"), "m.yaml", "/x");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ManifestError);
  });

  it("is refused with the in-process engine, naming the key", () => {
    let issues: string[] = [];
    try {
      parseManifest(manifest("llama_bench: {}\n", "in-process"), "m.yaml", "/x");
    } catch (e) {
      if (e instanceof ManifestError) issues = e.issues.map((i) => `${i.path}: ${i.message}`);
    }
    expect(issues).toEqual([
      expect.stringMatching(/^llama_bench: llama-bench baselines run beside a llama.cpp engine/),
    ]);
  });
});
