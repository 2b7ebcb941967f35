// Opt-in (SPECGRID_LLAMA_BIN = a llama.cpp build's bin directory): whole sweeps through the daemons
// (nats-server, coordinator, agent) with the real binaries on the synthetic test family. The llama-server
// sweep is the 40-cell grid of issue 11 plus its 40 ABAB baselines (one per speculative run): it must start one server per configuration (4 K
// values + 1 baseline), counted from the agent's log and from the results' load ids, with every cell
// valid. Counters the engines parse are checked against what llama.cpp itself prints for the same run.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createEngine } from "../../agents/engines/create-engine.js";
import { freeLoopbackPort } from "../../agents/engines/llama-server/llama-server-process.js";
import { probeLlamaBuild, type LlamaBuildProbe } from "../../agents/probe/probe-llama-build.js";
import { runProcess } from "../../agents/process/run-process.js";
import { startProcess } from "../../agents/process/start-process.js";
import type { EngineName } from "../../core/cell.js";
import type { CellResult } from "../../core/metrics.js";
import { startDaemonStack, type SweepRun } from "../support/daemon-stack.js";
import { getModelFamily } from "../support/model-family.js";
import { describeRealLlama, lastNumber, realLlamaBin as bin } from "../support/real-llama.js";

const PROMPT = "The quick brown fox jumps over the lazy dog and";

let dir: string;
let modelDir: string;
let build: LlamaBuildProbe;

async function manifest(name: string, engine: EngineName, over: Record<string, unknown>): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  const body = {
    name,
    models: { target: { file: "target.gguf" }, draft: { file: "draft.gguf" } },
    pairs: [{ target: "target", draft: "draft" }],
    prompts: [PROMPT],
    sweep: { k: [2, 4, 6, 8], temperature: [0.1, 0.5, 0.7, 1.0, 1.5], n_predict: 32, repeats: 2, seed: 7 },
    baseline: true,
    engine,
    llama: { gpu_layers: 0, ctx: 256, threads: 1 },
    ...over,
  };
  await writeFile(file, JSON.stringify(body, null, 2));
  return file;
}

async function sweep(
  engine: EngineName,
  file: string,
): Promise<SweepRun & { log: Record<string, unknown>[] }> {
  const stack = await startDaemonStack({
    engine: await createEngine(engine, { llama: { build, loadTimeoutMs: 120_000, cellTimeoutMs: 300_000 } }),
    engineName: engine,
    llamaBuild: build,
    modelDirs: [modelDir],
  });
  try {
    const run = await stack.runSweep(file, 900_000);
    return { ...run, log: stack.agentLog };
  } finally {
    await stack.stop();
  }
}

describeRealLlama("real llama.cpp sweeps through the daemons", () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-real-sweep-"));
    modelDir = path.join(dir, "models");
    await mkdir(modelDir);
    const family = await getModelFamily();
    await copyFile(family.target, path.join(modelDir, "target.gguf"));
    await copyFile(family.drafts.get(0.02)!, path.join(modelDir, "draft.gguf"));
    build = await probeLlamaBuild(bin);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("llama-server: the 40-cell grid starts 5 servers (4 K + 1 baseline) and every cell is valid", async () => {
    const run = await sweep("llama-server", await manifest("grid-server", "llama-server", {}));
    expect(run.status.state).toBe("done");
    const results = run.results;
    expect(results).toHaveLength(80);
    const bad = results.filter((r) => r.outcome.status !== "ok");
    expect(bad.map((r) => `${r.outcome.invalidReason}: ${r.outcome.message}`)).toEqual([]);
    // server starts, from the agent's log and from the results
    const started = run.log.filter((l) => l.msg === "llama-server started");
    const stopped = run.log.filter((l) => l.msg === "llama-server stopped");
    expect(started).toHaveLength(5);
    expect(stopped).toHaveLength(5);
    expect(new Set(started.map((l) => l.server))).toEqual(
      new Set(["baseline slots=1", ...[2, 4, 6, 8].map((k) => `draft K=${k} p_min=0 slots=1`)]),
    );
    for (const l of started) expect(l.loadMs).toBeGreaterThan(0);
    const loads = new Map<string, CellResult[]>();
    for (const r of results) {
      const id = r.outcome.metrics!.loadId!;
      loads.set(id, [...(loads.get(id) ?? []), r]);
    }
    expect(loads.size).toBe(5);
    for (const [id, rs] of loads) {
      const ks = new Set(rs.map((r) => (r.outcome.command ?? []).join(" ")));
      expect(ks.size, `load ${id} served one configuration`).toBe(1);
      expect(new Set(rs.map((r) => r.outcome.metrics!.loadMs)).size).toBe(1);
    }
    // each stop logs the cells its server ran: every cell ran on the server of its configuration once
    expect(stopped.reduce((n, l) => n + Number(l.cells), 0)).toBe(80);

    // parsed drafted/accepted equal the server's own printed figures: the K = 2 and K = 8 servers started
    // again by hand with the same argv, sent the (temperature 0.1, repeat 0) request; the stored result
    // with the same generated text is that cell
    for (const k of [2, 8]) {
      const command = results.find((x) => x.outcome.command?.join(" ").includes(`-n-max ${k} `))!.outcome
        .command!;
      const printed = await printedServerAcceptance(command, 0.1, 7);
      const same = results.filter(
        (x) => x.outcome.command?.join(" ") === command.join(" ") && x.outcome.metrics?.text === printed.text,
      );
      expect(same.length, `K=${k}: a stored result with the rerun's text`).toBeGreaterThan(0);
      for (const x of same) {
        expect(x.outcome.metrics!.nDrafted).toBe(printed.drafted);
        expect(x.outcome.metrics!.nAccept).toBe(printed.accepted);
      }
    }
  }, 900_000);

  it("llama-speculative-simple: one process per cell, every cell valid, counters as printed", async () => {
    const run = await sweep(
      "llama-speculative-simple",
      await manifest("grid-simple", "llama-speculative-simple", {
        sweep: { k: [2, 8], temperature: [0.1, 1.0], n_predict: 32, repeats: 1, seed: 7 },
        baseline: false,
      }),
    );
    expect(run.status.state).toBe("done");
    expect(run.results).toHaveLength(4);
    for (const r of run.results) expect(r.outcome.status, r.outcome.message).toBe("ok");
    // every cell its own process, hence its own load
    expect(new Set(run.results.map((r) => r.outcome.metrics!.loadId)).size).toBe(4);
    for (const r of run.results) {
      const m = r.outcome.metrics!;
      expect(m.loadMs).toBeGreaterThan(0);
      let stderr = "";
      for (let i = 0; i < 4 && !/common_perf_print:\s+graphs reused/.test(stderr); i++) {
        stderr = (await runProcess(r.outcome.command!, { timeoutMs: 300_000 })).stderr;
      }
      expect(m.nDrafted).toBe(lastNumber(stderr, /n_drafted\s+=\s+(\d+)/));
      expect(m.nAccept).toBe(lastNumber(stderr, /n_accept\s+=\s+(\d+)/));
      expect(m.nDecoded).toBe(lastNumber(stderr, /decoded\s+(\d+) tokens in/));
    }
  }, 900_000);
});

/**
 * Starts the server of a result again by hand (its argv, on a fresh port), sends the cell's request and
 * reads the server's own printed line: `draft acceptance = r ( A accepted / D generated)`.
 */
async function printedServerAcceptance(
  command: readonly string[],
  temperature: number,
  seed: number,
): Promise<{ drafted: number; accepted: number; text: string }> {
  const argv = [...command];
  const port = await freeLoopbackPort();
  argv[argv.indexOf("--port") + 1] = String(port);
  const proc = startProcess(argv);
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 600; i++) {
      const ok = await fetch(`${base}/health`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const res = await fetch(`${base}/completion`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: PROMPT, n_predict: 32, temperature, seed, cache_prompt: false }),
    });
    const body = (await res.json()) as { content: string };
    let line: RegExpMatchArray | null = null;
    for (let i = 0; i < 50 && line === null; i++) {
      line = proc.stderrTail
        .lastLines(200)
        .match(/draft acceptance = [\d.]+ \(\s*(\d+) accepted \/\s*(\d+) generated\)/);
      if (line === null) await new Promise((r) => setTimeout(r, 100));
    }
    if (line === null) throw new Error(`no draft acceptance line in:\n${proc.stderrTail.lastLines(40)}`);
    return { accepted: Number(line[1]), drafted: Number(line[2]), text: body.content };
  } finally {
    await proc.stopGroup();
  }
}
