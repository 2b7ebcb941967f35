// The shared conformance suite: every Engine implementation runs it against its own fixtures, so the agent
// can drive any engine the same way. Engine-specific behaviour (acceptance figures, exactness) is tested
// beside each engine, not here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kValue, type Cell, type CellKind, type CellParams, type ShardKey } from "../../core/cell.js";
import { WARMUP_TOKENS } from "../../core/measurement-protocol.js";
import type { CellMetrics, CellOutcome } from "../../core/metrics.js";
import type { Engine, EngineSession, ResolvedModels } from "../../agents/engines/engine.js";

export interface EngineConformanceFixtures {
  /** Session with a draft: baseline and speculative cells both run on it. */
  key: ShardKey;
  models: ResolvedModels;
  /** A cell of the given kind for this session, with the overrides applied (ids filled in). */
  cell(kind: CellKind, overrides?: Partial<CellParams>): Cell;
  /** A cell long enough (seconds) that an abort lands mid-run. */
  longCell(): Cell;
  /** Whether the engine runs parallel cells (with concurrency > 1) in this session. */
  parallel: boolean;
  /**
   * Whether it runs speculative cells (core/engines.ts: an entry with a speculation type); the tools that
   * only decode (llama-completion, llama-parallel) run the baseline, cancel and close cases. @default true
   */
  speculative?: boolean;
  /**
   * The kind of its plain decode cells (the baseline, cancel and close cases): baseline, or bench for
   * llama-bench, whose cells are its own repetitions of a target-only run. @default "baseline"
   */
  plainKind?: CellKind;
  /**
   * Models load per cell (core/engines.ts `loads: "cell"`: one tool process each): the session has no load
   * of its own, and every result carries its process's load time instead (unless unreported). @default false
   */
  loadsPerCell?: boolean;
  /**
   * Figures the tool does not print, declared so the suite does not ask for them: llama-parallel prints
   * neither a load nor a prompt time (its speeds divide the whole run's wall time), llama-bench no load time.
   * @default []
   */
  unreported?: ReadonlyArray<"loadMs" | "promptMs">;
  /**
   * What identifies a cell's output: its token ids' hash (tokensSha256), the text the CLI tools print, or
   * nothing (llama-parallel prints its clients' answers among its logs, llama-bench generates no text).
   * @default "token-hash"
   */
  output?: "token-hash" | "text" | "none";
  /**
   * The session runs one warm-up generation after a load and names it in each result; llama-bench runs a
   * warm-up repetition inside its own process instead. @default true
   */
  sessionWarmup?: boolean;
  /**
   * Speculative cells may decode up to K tokens past n_predict (llama.cpp's speculative tools accept a whole
   * draft past the limit and count it). @default false
   */
  speculativeOvershoot?: boolean;
}

/** What a cell's output is identified by: its token hash, or its text where the engine sees no tokens. */
function outputOf(fx: EngineConformanceFixtures, m: CellMetrics | undefined): string | undefined {
  return fx.output === "text" ? m?.text : m?.tokensSha256;
}

const unreported = (fx: EngineConformanceFixtures, figure: "loadMs" | "promptMs"): boolean =>
  fx.unreported?.includes(figure) === true;

/** Tokens past n_predict a cell may decode: none, or up to K for speculative tools that overshoot. */
function overshootOf(fx: EngineConformanceFixtures, cell: Cell): number {
  return fx.speculativeOvershoot === true && cell.kind === "speculative" ? (kValue(cell.k) ?? 0) : 0;
}

function expectMeasured(
  fx: EngineConformanceFixtures,
  metrics: CellMetrics | undefined,
  cell: Cell,
): CellMetrics {
  expect(metrics).toBeDefined();
  const m = metrics!;
  expect(m.nDecoded).toBeGreaterThanOrEqual(cell.nPredict);
  expect(m.nDecoded).toBeLessThanOrEqual(cell.nPredict + overshootOf(fx, cell));
  expect(m.decodeMs).toBeGreaterThan(0);
  expect(m.decodeTps).toBeGreaterThan(0);
  expect(m.wallMs).toBeGreaterThanOrEqual(m.decodeMs);
  if (fx.output === "text") expect(m.text?.length ?? 0).toBeGreaterThan(0);
  else if (fx.output !== "none") expect(m.tokensSha256).toMatch(/^[0-9a-f]{64}$/);
  if (fx.loadsPerCell === true && !unreported(fx, "loadMs")) expect(m.loadMs).toBeGreaterThan(0);
  return m;
}

export function describeEngineConformance(
  name: string,
  makeEngine: () => Promise<Engine>,
  fixtures: () => Promise<EngineConformanceFixtures>,
): void {
  describe(`engine conformance: ${name}`, () => {
    let engine: Engine;
    let fx: EngineConformanceFixtures;
    let session: EngineSession;
    /** Its plain decode cells: baselines, or llama-bench's bench cells. */
    const plainKind = (): CellKind => fx.plainKind ?? "baseline";
    /** The cells the engine is for: speculative ones, or plain ones on a tool that only decodes. */
    const mainKind = (): CellKind => (fx.speculative === false ? plainKind() : "speculative");

    beforeAll(async () => {
      fx = await fixtures();
      engine = await makeEngine();
      // planned cells, as the agent passes them: an engine may load what they need at open
      const planned = fx.cell(mainKind());
      session = await engine.openSession({ key: fx.key, models: fx.models, cells: [planned] });
    });
    afterAll(async () => {
      await session?.close();
      await engine?.dispose();
    });

    it("describes the backend that runs", async () => {
      const text = await engine.describe();
      expect(text.trim().length).toBeGreaterThan(0);
    });

    it("reports the session's model load time (per cell where each cell loads)", async (ctx) => {
      if (fx.loadsPerCell !== true) {
        expect(session.loadMs).toBeGreaterThan(0);
        return;
      }
      if (unreported(fx, "loadMs")) ctx.skip();
      const outcome = await session.runCell(fx.cell(plainKind()));
      expect(outcome.status, outcome.message).toBe("ok");
      expect(outcome.metrics?.loadMs).toBeGreaterThan(0);
    });

    it("runs a baseline cell with every decode metric filled", async () => {
      const cell = fx.cell(plainKind());
      const outcome = await session.runCell(cell);
      expect(outcome.status, outcome.message).toBe("ok");
      const m = expectMeasured(fx, outcome.metrics, cell);
      if (!unreported(fx, "promptMs")) expect(m.promptMs).toBeGreaterThanOrEqual(0);
      expect(m.nDrafted ?? 0).toBe(0);
    });

    it("discards one warm-up generation after the load and names it in each result", async (ctx) => {
      if (fx.sessionWarmup === false) ctx.skip();
      const first = fx.cell(mainKind());
      const outcome = await session.runCell(first);
      expect(outcome.status, outcome.message).toBe("ok");
      const w = outcome.metrics?.warmup;
      expect(w, "the result names its load's warm-up").toBeDefined();
      expect(w!.nDecoded).toBeGreaterThan(0);
      expect(w!.nDecoded).toBeLessThanOrEqual(WARMUP_TOKENS + overshootOf(fx, first));
      expect(w!.wallMs).toBeGreaterThan(0);
      // recorded as a warm-up, not as a cell: a later result of the same load carries the same record
      // (a cell beyond the plan, or a baseline, may run on a load of its own: warmed up as well)
      for (const next of [fx.cell(mainKind(), { seed: 77 }), fx.cell(plainKind())]) {
        const m = (await session.runCell(next)).metrics;
        if (m?.loadId === outcome.metrics?.loadId) expect(m?.warmup).toEqual(w);
        else expect(m?.warmup?.nDecoded).toBeGreaterThan(0);
      }
    });

    it("runs a speculative cell with drafted and accepted counts", async (ctx) => {
      if (fx.speculative === false) ctx.skip();
      const cell = fx.cell("speculative");
      const outcome = await session.runCell(cell);
      expect(outcome.status, outcome.message).toBe("ok");
      const m = expectMeasured(fx, outcome.metrics, cell);
      expect(m.nDrafted).toBeGreaterThan(0);
      expect(m.nAccept).toBeGreaterThanOrEqual(0);
      expect(m.nAccept).toBeLessThanOrEqual(m.nDrafted!);
      expect(m.acceptRate).toBeCloseTo(m.nAccept! / m.nDrafted!, 10);
      for (const rate of m.acceptByPosition ?? []) {
        expect(rate).toBeGreaterThanOrEqual(0);
        expect(rate).toBeLessThanOrEqual(1);
      }
    });

    it("repeats a seeded sampled cell exactly", async (ctx) => {
      if (fx.output === "none") ctx.skip();
      const cell = fx.cell(mainKind(), { temperature: 0.8, seed: 1234 });
      const a = await session.runCell(cell);
      const b = await session.runCell(cell);
      expect(a.status, a.message).toBe("ok");
      expect(outputOf(fx, a.metrics)).toBeDefined();
      expect(outputOf(fx, b.metrics)).toBe(outputOf(fx, a.metrics));
    });

    it("runs a parallel cell with aggregate and per-sequence throughput", async (ctx) => {
      if (!fx.parallel) ctx.skip();
      const cell = fx.cell("parallel", { concurrency: 2, requests: 2, draft: undefined, k: undefined });
      const outcome = await session.runCell(cell);
      expect(outcome.status, outcome.message).toBe("ok");
      const m = outcome.metrics!;
      expect(m.nDecoded).toBe(2 * cell.nPredict);
      expect(m.aggregateTps).toBeGreaterThan(0);
      expect(m.perSequenceTps).toHaveLength(2);
    });

    it("returns a cancelled outcome, not a throw, for an already aborted signal", async () => {
      const controller = new AbortController();
      controller.abort();
      const outcome: CellOutcome = await session.runCell(fx.cell(plainKind()), controller.signal);
      expect(outcome.status).not.toBe("ok");
      expect(outcome.invalidReason).toBe("cancelled");
    });

    it("stops a running cell when the signal aborts, and the session stays usable", async () => {
      const controller = new AbortController();
      const cell = fx.longCell();
      const running = session.runCell(cell, controller.signal);
      setTimeout(() => controller.abort(), 100);
      const outcome = await running;
      expect(outcome.invalidReason).toBe("cancelled");
      expect(outcome.metrics?.nDecoded ?? 0).toBeLessThan(cell.nPredict);
      const after = await session.runCell(fx.cell(plainKind()));
      expect(after.status, after.message).toBe("ok");
    });

    it("closes idempotently; a closed session refuses cells without throwing", async () => {
      const extra = await engine.openSession({ key: fx.key, models: fx.models });
      await extra.close();
      await extra.close();
      const outcome = await extra.runCell(fx.cell(plainKind()));
      expect(outcome.status).toBe("failed");
    });
  });
}
