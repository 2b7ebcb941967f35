// The llama-server session's server lifecycle over a planned shard, against replayed servers (real
// processes on loopback): one start per configuration, the baseline server beside the first speculative
// block when memory allows, servers stopped as soon as no remaining cell needs them, the baselines
// regrouped when both servers do not fit, and one server for every K where the build takes K per request
// (checked per cell from the response, with a fall back to a server per K when a server ignores it).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino, type Logger } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine } from "../../agents/engines/create-engine.js";
import type { EngineSession } from "../../agents/engines/engine.js";
import { probeLlamaBuild } from "../../agents/probe/probe-llama-build.js";
import { processGroupAlive } from "../../agents/process/start-process.js";
import type { Cell, CellKind, CellParams, LlamaSettings, ShardKey } from "../../core/cell.js";
import { getModelFamily } from "../support/model-family.js";
import {
  currentBuild,
  installReplayLlama,
  oldBuild,
  type ReplayInstall,
  type ReplayTool,
} from "../support/replay-llama.js";
import { engineTestCell } from "../support/engine-test-cell.js";

const llama: LlamaSettings = { gpuLayers: 0, ctx: 2048, flashAttn: "auto", threads: 1 };
const key: ShardKey = { engine: "llama-server", target: { name: "target" }, draft: { name: "draft" }, llama };

function cell(kind: CellKind, over: Partial<CellParams> = {}): Cell {
  const speculative: Partial<CellParams> = { k: { kind: "fixed", k: 2 }, pMin: 0 };
  return engineTestCell("llama-server", kind, { llama, nPredict: 64, speculative }, over);
}

const spec = (k: number, temperature: number): Cell =>
  cell("speculative", { k: { kind: "fixed", k }, temperature });
const base = (temperature: number): Cell => cell("baseline", { temperature });

/** The planner's order for K 2/4 × T 0/0.7 with baselines: baselines beside the K = 2 block. */
const planned = (): Cell[] => [base(0), spec(2, 0), base(0.7), spec(2, 0.7), spec(4, 0), spec(4, 0.7)];

let root: string;
let models: { targetPath: string; draftPath: string };

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "specgrid-server-lifecycle-"));
  // real GGUF headers for the memory estimate; the replayed servers never read the files
  const family = await getModelFamily();
  models = { targetPath: family.target, draftPath: family.drafts.get(0.05)! };
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Harness {
  install: ReplayInstall;
  log: Record<string, unknown>[];
  logger: Logger;
  open(cells: Cell[], freeMib?: number): Promise<EngineSession>;
  runs(): Promise<{ argv: string[]; pid: number }[]>;
}

async function harness(tool: ReplayTool): Promise<Harness> {
  const dir = await mkdtemp(path.join(root, "bin-"));
  const install = await installReplayLlama(dir, { tools: { "llama-server": tool } });
  const build = await probeLlamaBuild(dir);
  const log: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "info" },
    { write: (l: string) => void log.push(JSON.parse(l) as Record<string, unknown>) },
  );
  return {
    install,
    log,
    logger,
    async open(cells, freeMib) {
      const engine = await createEngine("llama-server", {
        llama: {
          build,
          loadTimeoutMs: 30_000,
          cellTimeoutMs: 30_000,
          ...(freeMib === undefined
            ? {}
            : { freeMemoryMib: () => Promise.resolve({ onGpu: false, freeMib }) }),
        },
      });
      return engine.openSession({ key, models, cells, logger });
    },
    async runs() {
      return (await install.invocations()).filter((i) => i.kind === "run");
    },
  };
}

/** Runs the session's order; returns the outcomes and the most servers the log shows running at once. */
async function runAll(
  h: Harness,
  session: EngineSession,
): Promise<{ statuses: string[]; maxRunning: number }> {
  const statuses: string[] = [];
  for (const c of session.order ?? []) statuses.push((await session.runCell(c)).status);
  await session.close();
  let running = 0;
  let maxRunning = 0;
  for (const l of h.log) {
    if (l.msg === "llama-server started") maxRunning = Math.max(maxRunning, ++running);
    if (l.msg === "llama-server stopped") running--;
  }
  return { statuses, maxRunning };
}

describe("llama-server session over a planned shard (replayed servers)", () => {
  it("starts each configuration once, keeps the baseline server beside K = 2, stops each when done", async () => {
    const h = await harness(currentBuild("llama-server"));
    const session = await h.open(planned(), 1e6);
    expect(session.order).toEqual(planned());
    const { statuses, maxRunning } = await runAll(h, session);
    expect(statuses).toEqual(Array(6).fill("ok"));
    const runs = await h.runs();
    expect(runs).toHaveLength(3);
    expect(maxRunning).toBe(2);
    const stops = h.log.filter((l) => l.msg === "llama-server stopped");
    // every server stopped as its last cell finished, none left for close()
    expect(stops.map((l) => [l.server, l.cells, l.reason])).toEqual([
      ["baseline slots=1", 2, "no remaining cell needs it"],
      ["draft K=2 p_min=0 slots=1", 2, "no remaining cell needs it"],
      ["draft K=4 p_min=0 slots=1", 2, "no remaining cell needs it"],
    ]);
    for (const r of runs) expect(processGroupAlive(r.pid)).toBe(false);
    expect(h.log.find((l) => l.msg === "llama-server started")).toMatchObject({
      server: "baseline slots=1",
      loadMs: expect.any(Number),
      loadId: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
  });

  it("ABAB over every block: one baseline server beside each speculative block in turn, no extra starts", async () => {
    const h = await harness(currentBuild("llama-server"));
    const abab: Cell[] = [2, 4].flatMap((k) =>
      [0, 0.7].flatMap((t) => {
        const s = spec(k, t);
        return [cell("baseline", { temperature: t, pairedWith: s.cellId }), s];
      }),
    );
    const session = await h.open(abab, 1e6);
    expect(session.order).toEqual(abab);
    const { statuses, maxRunning } = await runAll(h, session);
    expect(statuses).toEqual(Array(8).fill("ok"));
    // baseline + K 2 + K 4: the same three starts as baselines beside the first block only
    expect(await h.runs()).toHaveLength(3);
    expect(maxRunning).toBe(2);
    const stops = h.log.filter((l) => l.msg === "llama-server stopped");
    expect(stops.map((l) => [l.server, l.cells])).toEqual([
      ["draft K=2 p_min=0 slots=1", 2],
      ["baseline slots=1", 4],
      ["draft K=4 p_min=0 slots=1", 2],
    ]);
  });

  it("when both servers do not fit, runs the baselines as a block of their own: never two servers at once", async () => {
    const h = await harness(currentBuild("llama-server"));
    const session = await h.open(planned(), 1);
    const order = session.order ?? [];
    expect(order.map((c) => c.kind)).toEqual(["baseline", "baseline", ...Array(4).fill("speculative")]);
    expect(new Set(order)).toEqual(new Set(planned()));
    const { statuses, maxRunning } = await runAll(h, session);
    expect(statuses).toEqual(Array(6).fill("ok"));
    expect(await h.runs()).toHaveLength(3);
    expect(maxRunning).toBe(1);
    expect(h.log.some((l) => /do not fit together/.test(String(l.msg)))).toBe(true);
  });

  it("results of one server share its load id and load time; another server's differ", async () => {
    const h = await harness(currentBuild("llama-server"));
    const session = await h.open(planned(), 1e6);
    const outcomes = [];
    for (const c of session.order ?? []) outcomes.push(await session.runCell(c));
    await session.close();
    const ids = outcomes.map((o) => o.metrics!.loadId);
    expect(ids[0]).toBe(ids[2]); // the two baselines
    expect(ids[1]).toBe(ids[3]); // the two K = 2 cells
    expect(ids[4]).toBe(ids[5]);
    expect(new Set(ids).size).toBe(3);
    expect(outcomes[0]!.metrics!.loadMs).toBe(outcomes[2]!.metrics!.loadMs);
  });

  it("an old build drafts every K on one server, K per request, each cell within its K", async () => {
    const h = await harness({ ...oldBuild(), server: {} });
    const session = await h.open(planned(), 1e6);
    const { statuses } = await runAll(h, session);
    expect(statuses).toEqual(Array(6).fill("ok"));
    const runs = await h.runs();
    // one baseline server, one speculative server started at the largest planned K
    expect(runs).toHaveLength(2);
    expect(runs[1]!.argv).toEqual(expect.arrayContaining(["--draft-max", "4"]));
    expect(
      h.log.some(
        (l) =>
          l.msg === "llama-server ignored the per-request speculative.n_max; one server per K from now on",
      ),
    ).toBe(false);
  });

  it("an old build that ignores K per request is caught from a response and falls back to a server per K", async () => {
    const h = await harness({ ...oldBuild(), server: { ignorePerRequestSpeculative: true } });
    const session = await h.open(planned(), 1e6);
    const { statuses } = await runAll(h, session);
    expect(statuses).toEqual(Array(6).fill("ok"));
    const warned = h.log.filter((l) => l.level === 40);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({
      k: 2,
      msg: expect.stringMatching(/ignored the per-request/) as unknown,
    });
    // baseline, the shared server (given up at the first K = 2 cell), then one per K
    const maxes = (await h.runs()).map((r) =>
      r.argv.includes("--draft-max") ? r.argv[r.argv.indexOf("--draft-max") + 1] : "none",
    );
    expect(maxes).toEqual(["none", "4", "2", "4"]);
  });
});
