// Opt-in (required under CI): the llama-bench engine and tree drafting against real binaries
// (SPECGRID_LLAMA_BIN) on the project's synthetic models, one thread and few tokens. The figures the
// engines store are checked against what the binaries print for the same argv: llama-bench's JSON rows
// (its own format, read with JSON.parse) and llama-speculative's counters with -np above 1.
import { expect, it } from "vitest";
import type { CellParams, LlamaSettings } from "../../core/cell.js";
import type { CellOutcome } from "../../core/metrics.js";
import { createEngine } from "../../agents/engines/create-engine.js";
import { probeLlamaBuild } from "../../agents/probe/probe-llama-build.js";
import { runProcess } from "../../agents/process/run-process.js";
import { engineTestCell } from "../support/engine-test-cell.js";
import { getModelFamily } from "../support/model-family.js";
import { describeRealLlama, realLlamaBin as bin } from "../support/real-llama.js";

const llama: LlamaSettings = { gpuLayers: 0, ctx: 512, flashAttn: "auto", threads: 1 };

const after = (argv: readonly string[], flag: string): string | undefined => argv[argv.indexOf(flag) + 1];

/** The last value a regex captures in text, as a number. */
function printedNumber(text: string, re: RegExp): number | undefined {
  const v = [...text.matchAll(new RegExp(re.source, "gm"))].at(-1)?.[1];
  return v === undefined ? undefined : Number(v);
}

/** One llama-speculative tree cell (-np 2, p_split 0.1, K 4) at `temperature` on the 0.2-noise draft. */
async function runTree(
  build: Awaited<ReturnType<typeof probeLlamaBuild>>,
  family: Awaited<ReturnType<typeof getModelFamily>>,
  temperature: number,
): Promise<CellOutcome> {
  const engine = await createEngine("llama-speculative", { llama: { build, timeoutMs: 300_000 } });
  const speculative: Partial<CellParams> = { pMin: 0, nParallel: 2, pSplit: 0.1 };
  const cell = engineTestCell(
    "llama-speculative",
    "speculative",
    { llama, nPredict: 32, speculative },
    { temperature },
  );
  const session = await engine.openSession({
    key: { engine: "llama-speculative", target: cell.target, draft: cell.draft!, llama },
    models: { targetPath: family.target, draftPath: family.drafts.get(0.2)! },
  });
  try {
    return await session.runCell(cell);
  } finally {
    await session.close();
  }
}

describeRealLlama("real llama-bench and tree drafting", () => {
  it("llama-bench: one process, tg and pp rows, llama-bench's own mean and sd stored", async () => {
    const family = await getModelFamily();
    const build = await probeLlamaBuild(bin);
    if (!build.tools["llama-bench"]) return expect.fail(`llama-bench is not in ${bin}`);
    const engine = await createEngine("llama-bench", { llama: { build, timeoutMs: 300_000 } });
    const cell = engineTestCell(
      "llama-bench",
      "bench",
      { llama, nPredict: 8, prompt: "" },
      { bench: { repetitions: 2, nPrompt: 16 } },
    );
    const session = await engine.openSession({
      key: { engine: "llama-bench", target: cell.target, llama },
      models: { targetPath: family.target },
    });
    const outcome = await session.runCell(cell);
    await session.close();
    expect(outcome.status, outcome.message).toBe("ok");
    const argv = outcome.command!;
    expect([after(argv, "-p"), after(argv, "-n"), after(argv, "-r"), after(argv, "-o")]).toEqual([
      "16",
      "8",
      "2",
      "json",
    ]);
    expect(after(argv, "-t")).toBe("1");
    const m = outcome.metrics!;
    expect(m.nDecoded).toBe(8);
    expect(m.nPrompt).toBe(16);
    for (const v of [m.decodeTps, m.promptTps!]) expect(v).toBeGreaterThan(0);
    for (const v of [m.decodeTpsSd!, m.promptTpsSd!]) expect(v).toBeGreaterThanOrEqual(0);
    // the same argv by hand: the rows llama-bench prints are the ones the engine read
    const again = await runProcess(argv, { timeoutMs: 300_000 });
    expect(again.exitCode).toBe(0);
    const rows = JSON.parse(again.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.n_prompt, r.n_gen, r.n_threads])).toEqual([
      [16, 0, 1],
      [0, 8, 1],
    ]);
    for (const r of rows) {
      expect(r.samples_ts).toHaveLength(2);
      expect(typeof r.avg_ts).toBe("number");
      expect(typeof r.stddev_ts).toBe("number");
    }
  });

  it("llama-speculative with -np 2: the build's p-split spelling, drafted / accepted as printed", async () => {
    const family = await getModelFamily();
    const build = await probeLlamaBuild(bin);
    if (!build.tools["llama-speculative"]) return expect.fail(`llama-speculative is not in ${bin}`);
    const outcome = await runTree(build, family, 0);
    expect(outcome.status, outcome.message).toBe("ok");
    const argv = outcome.command!;
    expect(after(argv, "-np")).toBe("2");
    expect(after(argv, build.tools["llama-speculative"].capabilities.pSplit!)).toBe("0.1");
    let stderr = "";
    for (let i = 0; i < 4 && !/common_perf_print:\s+graphs reused/.test(stderr); i++) {
      stderr = (await runProcess(argv, { timeoutMs: 300_000 })).stderr;
    }
    expect(outcome.metrics!.nDrafted).toBeGreaterThan(0);
    expect(outcome.metrics!.nDrafted).toBe(printedNumber(stderr, /n_drafted\s+=\s+(\d+)/));
    expect(outcome.metrics!.nAccept).toBe(printedNumber(stderr, /n_accept\s+=\s+(\d+)/));
  });

  it("llama-speculative -np 2 at temperature 0.8: a branched tree runs, or fails naming the coupled sequences", async () => {
    const family = await getModelFamily();
    const build = await probeLlamaBuild(bin);
    const outcome = await runTree(build, family, 0.8);
    // the bundle's build (80fb11ac) fails the tree's decodes once it branches (no -kvu in llama-speculative),
    // finishing or aborting; a build that decodes split drafts must draft
    if (outcome.status === "ok") expect(outcome.metrics!.nDrafted).toBeGreaterThan(0);
    else {
      expect(["crashed", "error"]).toContain(outcome.invalidReason);
      expect(outcome.message).toMatch(/branched draft tree \(-np 2; \d+ decodes failed/);
    }
  });
});
