// The llama.cpp CLI engine against fake tools that are real processes (test/support/replay-llama.ts):
// normal runs, the flag spellings of a current and an old build, truncated output re-run, crash, hang
// (process group gone), out of memory and vocab errors (failed, not retried), zero drafted tokens.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cell, CellParams, LlamaSettings } from "../../core/cell.js";
import { WARMUP_TOKENS } from "../../core/measurement-protocol.js";
import { LlamaCliEngine } from "../../agents/engines/llama-cli/llama-cli-engine.js";
import type { LlamaCliTool } from "../../agents/engines/llama-cli/build-cli-argv.js";
import { probeLlamaBuild, type LlamaBuildProbe } from "../../agents/probe/probe-llama-build.js";
import { processGroupAlive } from "../../agents/process/start-process.js";
import { engineTestCell } from "../support/engine-test-cell.js";
import {
  currentBuild,
  installReplayLlama,
  oldBuild,
  REPLAY_FIXTURES,
  setReplayScenario,
  type ReplayInstall,
  type ReplayStep,
} from "../support/replay-llama.js";

const TOOLS = [
  "llama-speculative-simple",
  "llama-speculative",
  "llama-completion",
  "llama-parallel",
] as const;
const models = { targetPath: "/models/target.gguf", draftPath: "/models/draft-n05.gguf" };

/** A figure as the capture itself prints it, e.g. printed("…stderr", /n_drafted\s+=\s+(\d+)/). */
function printed(capture: string, re: RegExp): number {
  const m = re.exec(readFileSync(path.join(REPLAY_FIXTURES, capture), "utf8"));
  if (!m?.[1]) throw new Error(`${capture}: ${String(re)} not found`);
  return Number(m[1]);
}

const llama: LlamaSettings = { gpuLayers: 0, ctx: 1024, flashAttn: "auto", threads: 2 };

function cell(over: Partial<CellParams> = {}): Cell {
  return engineTestCell("llama-speculative-simple", "speculative", { llama, nPredict: 64 }, over);
}

let root: string;
let install: ReplayInstall;
let build: LlamaBuildProbe;

const step = (capture: string, extra: ReplayStep = {}): ReplayStep => ({
  stdout: `${capture}.stdout`,
  stderr: `${capture}.stderr`,
  paceMs: 20,
  ...extra,
});

async function play(tool: LlamaCliTool, runs: ReplayStep[]): Promise<void> {
  const tools: Record<string, object> = {};
  for (const t of TOOLS) tools[t] = { ...currentBuild(t), runs: t === tool ? runs : [] };
  await setReplayScenario(install, { tools });
}

async function runOne(tool: LlamaCliTool, c: Cell, opts: { timeoutMs?: number; b?: LlamaBuildProbe } = {}) {
  const engine = new LlamaCliEngine({ tool, build: opts.b ?? build, timeoutMs: opts.timeoutMs ?? 60_000 });
  const session = await engine.openSession({
    key: { engine: tool, target: c.target, llama: c.llama },
    models,
  });
  try {
    const outcome = await session.runCell(c);
    const runs = (await install.invocations()).filter((i) => i.kind === "run" && i.tool === tool);
    return { outcome, runs };
  } finally {
    await session.close();
  }
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "specgrid-llama-cli-"));
  const tools: Record<string, object> = {};
  for (const t of TOOLS) tools[t] = currentBuild(t);
  install = await installReplayLlama(root, { tools });
  build = await probeLlamaBuild(root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("llama-cli engine on replayed tools", () => {
  it("speculative-simple: parsed figures are the ones the tool printed; argv uses current spellings", async () => {
    const capture = "llama-speculative-simple-n05-k4-t0";
    await play("llama-speculative-simple", [step(capture)]);
    const { outcome, runs } = await runOne("llama-speculative-simple", cell());
    expect(outcome.status, outcome.message).toBe("ok");
    const m = outcome.metrics!;
    expect(m.nDrafted).toBe(printed(`${capture}.stderr`, /n_drafted\s+=\s+(\d+)/));
    expect(m.nAccept).toBe(printed(`${capture}.stderr`, /n_accept\s+=\s+(\d+)/));
    expect(m.nDecoded).toBe(printed(`${capture}.stderr`, /decoded\s+(\d+) tokens/));
    expect(m.acceptRate! * 100).toBeCloseTo(printed(`${capture}.stderr`, /accept\s+=\s+([\d.]+)%/), 2);
    expect(m.loadMs).toBe(printed(`${capture}.stderr`, /load time =\s+([\d.]+) ms/));
    expect(outcome.backend).toMatch(/b10587/);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.argv).toEqual(outcome.command!.slice(1));
    expect(runs[0]!.argv).toEqual(
      expect.arrayContaining(["--spec-type", "draft-simple", "--spec-draft-n-max", "4"]),
    );
  });

  /** One cell on a session that was told its planned cells (so it warms up first), and the runs it made. */
  async function runPlanned(c: Cell) {
    const before = (await install.invocations()).length;
    const engine = new LlamaCliEngine({ tool: "llama-speculative-simple", build, timeoutMs: 60_000 });
    const session = await engine.openSession({
      key: { engine: "llama-speculative-simple", target: c.target, llama: c.llama },
      models,
      cells: [c],
    });
    try {
      const outcome = await session.runCell(c);
      const runs = (await install.invocations()).slice(before).filter((i) => i.kind === "run");
      return { outcome, runs };
    } finally {
      await session.close();
    }
  }

  it("a session with planned cells runs one discarded warm-up process first, cut to a few tokens", async () => {
    const capture = "llama-speculative-simple-n05-k4-t0";
    await play("llama-speculative-simple", [step(capture), step(capture)]);
    const c = cell();
    const { outcome, runs } = await runPlanned(c);
    expect(outcome.status, outcome.message).toBe("ok");
    expect(runs).toHaveLength(2);
    // the warm-up asked for WARMUP_TOKENS, the cell for its own n_predict
    expect(runs[0]!.argv.join(" ")).toContain(`-n ${WARMUP_TOKENS}`);
    expect(runs[1]!.argv.join(" ")).toContain(`-n ${c.nPredict}`);
    expect(outcome.metrics?.warmup?.nDecoded).toBeGreaterThan(0);
    expect(outcome.metrics?.warmup?.wallMs).toBeGreaterThan(0);
  });

  it("a warm-up whose closing lines were lost is run again: the record names a complete run's tokens", async () => {
    const capture = "llama-speculative-simple-n05-k4-t0";
    await play("llama-speculative-simple", [
      step(capture, { behavior: "truncate", dropLines: 8 }),
      step(capture),
      step(capture),
    ]);
    const { outcome, runs } = await runPlanned(cell());
    expect(outcome.status, outcome.message).toBe("ok");
    expect(runs.map((r) => r.argv.join(" ").includes(`-n ${WARMUP_TOKENS}`))).toEqual([true, true, false]);
    expect(outcome.metrics?.warmup?.nDecoded).toBe(printed(`${capture}.stderr`, /decoded\s+(\d+) tokens/));
  });

  it("an old build gets the old spellings", async () => {
    const dir = await mkdtemp(path.join(root, "old-"));
    const old = await installReplayLlama(dir, {
      tools: {
        "llama-speculative-simple": { ...oldBuild(), runs: [step("llama-speculative-simple-n05-k4-t0")] },
      },
    });
    const oldProbe = await probeLlamaBuild(dir);
    const engine = new LlamaCliEngine({
      tool: "llama-speculative-simple",
      build: oldProbe,
      timeoutMs: 60_000,
    });
    const session = await engine.openSession({
      key: { engine: "llama-speculative-simple", target: { name: "t" }, llama: cell().llama },
      models,
    });
    const outcome = await session.runCell(cell());
    expect(outcome.status, outcome.message).toBe("ok");
    const argv = (await old.invocations()).find((i) => i.kind === "run")!.argv;
    expect(argv).toEqual(expect.arrayContaining(["-md", "--draft-max", "--draft-p-min"]));
    expect(argv).not.toContain("--spec-type");
    expect(argv).not.toContain("--spec-draft-n-max");
  });

  it("truncated output is run again, and the complete run counts", async () => {
    const capture = "llama-speculative-simple-n05-k4-t0";
    await play("llama-speculative-simple", [step(capture, { behavior: "truncate" }), step(capture)]);
    const { outcome, runs } = await runOne("llama-speculative-simple", cell());
    expect(outcome.status, outcome.message).toBe("ok");
    expect(runs).toHaveLength(2);
  });

  it("output that stays truncated is never accepted: invalid after the bounded re-runs", async () => {
    await play("llama-speculative-simple", [
      step("llama-speculative-simple-n05-k4-t0", { behavior: "truncate", dropLines: 8 }),
    ]);
    const { outcome, runs } = await runOne("llama-speculative-simple", cell());
    expect(outcome.status).toBe("invalid");
    expect(outcome.invalidReason).toBe("output-truncated");
    expect(runs).toHaveLength(3);
  });

  it("a crash fails the cell with the stderr tail", async () => {
    await play("llama-speculative-simple", [
      step("llama-speculative-simple-n05-k4-t0", { behavior: "crash" }),
    ]);
    const { outcome, runs } = await runOne("llama-speculative-simple", cell());
    expect(outcome.status).toBe("failed");
    expect(outcome.invalidReason).toBe("crashed");
    expect(outcome.stderrTail).toMatch(/GGML_ASSERT/);
    expect(runs).toHaveLength(1);
  });

  it("a hang times out and its whole process group is gone", async () => {
    await play("llama-speculative-simple", [
      step("llama-speculative-simple-n05-k4-t0", { behavior: "hang" }),
    ]);
    const { outcome, runs } = await runOne("llama-speculative-simple", cell(), { timeoutMs: 6000 });
    expect(outcome.status).toBe("failed");
    expect(outcome.invalidReason).toBe("timeout");
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.childPid).toBeGreaterThan(0);
    // Signals are delivered asynchronously; the group must be gone within moments, not linger.
    const until = Date.now() + 5000;
    while (processGroupAlive(run.pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(processGroupAlive(run.pid)).toBe(false);
    expect(() => process.kill(run.childPid!, 0)).toThrow();
  });

  it("out of memory fails the cell and is not retried", async () => {
    await play("llama-speculative-simple", [
      { behavior: "oom", paceMs: 10 },
      step("llama-speculative-simple-n05-k4-t0"),
    ]);
    const { outcome, runs } = await runOne("llama-speculative-simple", cell());
    expect(outcome.status).toBe("failed");
    expect(outcome.invalidReason).toBe("out-of-memory");
    expect(outcome.stderrTail).toMatch(/out of memory/);
    expect(runs).toHaveLength(1);
  });

  it("a draft with another vocabulary fails the cell and is not retried", async () => {
    await play("llama-speculative", [step("llama-speculative-vocab-mismatch", { exitCode: 1 })]);
    const { outcome, runs } = await runOne("llama-speculative", cell({ engine: "llama-speculative" }));
    expect(outcome.invalidReason).toBe("vocab-mismatch");
    expect(outcome.status).toBe("failed");
    expect(runs).toHaveLength(1);
  });

  it("a flag the build removed fails the cell as unsupported, not retried", async () => {
    await play("llama-speculative", [step("llama-speculative-removed-draft-max", { exitCode: 1 })]);
    const { outcome, runs } = await runOne("llama-speculative", cell({ engine: "llama-speculative" }));
    expect(outcome.status).toBe("failed");
    expect(outcome.invalidReason).toBe("unsupported-flag");
    expect(outcome.message).toMatch(/--draft-max/);
    expect(runs).toHaveLength(1);
  });

  it("zero drafted tokens: the cell is invalid, speculation did not engage", async () => {
    await play("llama-speculative", [step("llama-speculative-n0-k0-t0")]);
    const { outcome } = await runOne("llama-speculative", cell({ engine: "llama-speculative" }));
    expect(outcome.status).toBe("invalid");
    expect(outcome.invalidReason).toBe("speculation-not-engaged");
  });

  it("baseline on llama-completion: decode figures and load time from the tool", async () => {
    const capture = "llama-completion-baseline-t0";
    await play("llama-completion", [step(capture)]);
    const { outcome } = await runOne(
      "llama-completion",
      cell({ kind: "baseline", engine: "llama-completion", draft: undefined, k: undefined }),
    );
    expect(outcome.status, outcome.message).toBe("ok");
    expect(outcome.metrics!.decodeMs).toBe(
      printed(`${capture}.stderr`, /common_perf_print:\s+eval time =\s+([\d.]+) ms/),
    );
    expect(outcome.metrics!.nDrafted).toBeUndefined();
    expect(outcome.command).toContain("-no-cnv");
  });

  it("a speculative engine runs baseline cells on llama-completion and parallel cells on llama-parallel", async () => {
    const tools: Record<string, object> = {};
    for (const t of TOOLS) tools[t] = currentBuild(t);
    tools["llama-completion"] = {
      ...currentBuild("llama-completion"),
      runs: [step("llama-completion-baseline-t0")],
    };
    tools["llama-parallel"] = { ...currentBuild("llama-parallel"), runs: [step("llama-parallel-np4-ns8")] };
    await setReplayScenario(install, { tools });
    const before = (await install.invocations()).length;
    const baseline = await runOne(
      "llama-speculative",
      cell({ kind: "baseline", engine: "llama-speculative", draft: undefined, k: undefined }),
    );
    expect(baseline.outcome.status, baseline.outcome.message).toBe("ok");
    expect(baseline.outcome.command?.[0]).toBe(path.join(root, "llama-completion"));
    const parallel = await runOne(
      "llama-speculative",
      cell({
        kind: "parallel",
        engine: "llama-speculative",
        draft: undefined,
        k: undefined,
        nPredict: 32,
        concurrency: 4,
        requests: 8,
      }),
    );
    expect(parallel.outcome.status, parallel.outcome.message).toBe("ok");
    expect(parallel.outcome.metrics!.perSequenceTps).toHaveLength(8);
    const ran = (await install.invocations()).slice(before).filter((i) => i.kind === "run");
    expect(ran.map((i) => i.tool)).toEqual(["llama-completion", "llama-parallel"]);
    // without llama-completion in the build, a baseline is refused with the tool it needs, not run
    const lacking = { ...build, tools: { "llama-speculative": build.tools["llama-speculative"] } };
    const refused = await runOne(
      "llama-speculative",
      cell({ kind: "baseline", engine: "llama-speculative", draft: undefined, k: undefined }),
      { b: lacking },
    );
    expect(refused.outcome).toMatchObject({ status: "failed", invalidReason: "rejected-parameter" });
    expect(refused.outcome.message).toMatch(
      /baseline cells on engine llama-speculative run llama-completion/,
    );
  });

  it("llama-parallel: aggregate throughput and one rate per sequence", async () => {
    const capture = "llama-parallel-np4-ns8";
    await play("llama-parallel", [step(capture)]);
    const { outcome } = await runOne(
      "llama-parallel",
      cell({
        kind: "parallel",
        engine: "llama-parallel",
        draft: undefined,
        k: undefined,
        nPredict: 32,
        concurrency: 4,
        requests: 8,
      }),
    );
    expect(outcome.status, outcome.message).toBe("ok");
    const m = outcome.metrics!;
    expect(m.nDecoded).toBe(printed(`${capture}.stderr`, /Total gen tokens:\s+(\d+)/));
    expect(m.aggregateTps).toBe(printed(`${capture}.stderr`, /Total gen tokens:\s+\d+, speed: ([\d.]+)/));
    expect(m.perSequenceTps).toHaveLength(8);
  });

  it("a tool the build lacks is a configuration error at session open", async () => {
    const engine = new LlamaCliEngine({ tool: "llama-parallel", build: { ...build, tools: {} } });
    await expect(
      engine.openSession({
        key: { engine: "llama-parallel", target: { name: "t" }, llama: cell().llama },
        models,
      }),
    ).rejects.toThrow(/not in the llama.cpp build directory/);
  });
});
