// Opt-in: every llama.cpp engine against real binaries (SPECGRID_LLAMA_BIN = a llama.cpp build's bin
// directory) on the reference models. Figures the engines parse are checked against the ones the binaries
// print: the same argv is run again by hand and its printed counters read with plain regexes (counters at
// temperature 0 are deterministic; timings are not, so they are only checked for being present).
import { expect, it } from "vitest";
import type { Cell, CellKind, CellParams, LlamaSettings } from "../../core/cell.js";
import { createEngine } from "../../agents/engines/create-engine.js";
import type { LlamaCliTool } from "../../agents/engines/llama-cli/build-cli-argv.js";
import { probeLlamaBuild } from "../../agents/probe/probe-llama-build.js";
import { runProcess } from "../../agents/process/run-process.js";
import { getModelFamily } from "../support/model-family.js";
import { engineTestCell } from "../support/engine-test-cell.js";
import { describeRealLlama, realLlamaBin as bin } from "../support/real-llama.js";

const llama: LlamaSettings = { gpuLayers: 0, ctx: 1024, flashAttn: "auto", threads: 1 };
const cell = (kind: CellKind, engine: CellParams["engine"], over: Partial<CellParams> = {}): Cell =>
  engineTestCell(engine, kind, { llama, nPredict: 64 }, over);

/** The last value a regex captures in text, as a number. */
function printedNumber(text: string, re: RegExp): number | undefined {
  const all = [...text.matchAll(new RegExp(re.source, "gm"))];
  const v = all.at(-1)?.[1];
  return v === undefined ? undefined : Number(v);
}

describeRealLlama("real llama.cpp binaries", () => {
  const setup = async () => {
    const family = await getModelFamily();
    const build = await probeLlamaBuild(bin);
    return { family, build };
  };

  it.each(["llama-speculative", "llama-speculative-simple"] as const)(
    "%s: parsed drafted / accepted / decoded equal the printed ones",
    async (tool: LlamaCliTool) => {
      const { family, build } = await setup();
      if (!build.tools[tool]) return expect.fail(`${tool} is not in ${bin}`);
      const engine = await createEngine(tool, { llama: { build, timeoutMs: 300_000 } });
      const c = cell("speculative", tool);
      const session = await engine.openSession({
        key: { engine: tool, target: c.target, llama },
        models: { targetPath: family.target, draftPath: family.drafts.get(0.05)! },
      });
      const outcome = await session.runCell(c);
      await session.close();
      expect(outcome.status, outcome.message).toBe("ok");
      // Run the same argv by hand (until its closing line is there: the log can lose its tail at exit).
      let stderr = "";
      for (let i = 0; i < 4 && !/common_perf_print:\s+graphs reused/.test(stderr); i++) {
        stderr = (await runProcess(outcome.command!, { timeoutMs: 300_000 })).stderr;
      }
      expect(outcome.metrics!.nDrafted).toBe(printedNumber(stderr, /n_drafted\s+=\s+(\d+)/));
      expect(outcome.metrics!.nAccept).toBe(printedNumber(stderr, /n_accept\s+=\s+(\d+)/));
      expect(outcome.metrics!.nDecoded).toBe(printedNumber(stderr, /decoded\s+(\d+) tokens in/));
      expect(outcome.metrics!.loadMs).toBeGreaterThan(0);
    },
  );

  it("llama-completion: decoded tokens equal eval runs + 1 as printed", async () => {
    const { family, build } = await setup();
    const engine = await createEngine("llama-completion", { llama: { build, timeoutMs: 300_000 } });
    const c = cell("baseline", "llama-completion");
    const session = await engine.openSession({
      key: { engine: "llama-completion", target: c.target, llama },
      models: { targetPath: family.target },
    });
    const outcome = await session.runCell(c);
    await session.close();
    expect(outcome.status, outcome.message).toBe("ok");
    const again = await runProcess(outcome.command!, { timeoutMs: 300_000 });
    const runs = printedNumber(again.stderr, /common_perf_print:\s+eval time =\s+[\d.]+ ms \/\s+(\d+) runs/);
    expect(outcome.metrics!.nDecoded).toBe((runs ?? NaN) + 1);
  });

  it("llama-speculative-simple with a draft of another vocabulary fails, not retried", async () => {
    const { family, build } = await setup();
    const engine = await createEngine("llama-speculative-simple", { llama: { build, timeoutMs: 300_000 } });
    const c = cell("speculative", "llama-speculative-simple");
    const session = await engine.openSession({
      key: { engine: "llama-speculative-simple", target: c.target, llama },
      models: { targetPath: family.target, draftPath: family.vocabMismatch },
    });
    const outcome = await session.runCell(c);
    await session.close();
    expect(outcome.status).toBe("failed");
    expect(outcome.invalidReason).toBe("vocab-mismatch");
  });

  it("llama-server: speculative cell drafts (confirmed by /slots), baseline and parallel cells run", async () => {
    const { family, build } = await setup();
    const engine = await createEngine("llama-server", {
      llama: { build, loadTimeoutMs: 120_000, cellTimeoutMs: 300_000 },
    });
    const spec = cell("speculative", "llama-server");
    const session = await engine.openSession({
      key: { engine: "llama-server", target: spec.target, draft: spec.draft!, llama },
      models: { targetPath: family.target, draftPath: family.drafts.get(0.05)! },
      cells: [spec],
    });
    try {
      const s = await session.runCell(spec);
      expect(s.status, s.message).toBe("ok");
      expect(s.metrics!.nDrafted).toBeGreaterThan(0);
      expect(s.metrics!.acceptRate).toBeCloseTo(s.metrics!.nAccept! / s.metrics!.nDrafted!, 10);
      // each cell's /metrics counters are its own change (the last cell's "after" is the next one's
      // "before"): accepted by position sums to the cell's accepted tokens from the response, cell by cell
      for (const seed of [11, 12]) {
        const again = await session.runCell({ ...spec, seed, temperature: 0.8 });
        expect(again.status, again.message).toBe("ok");
        const byPosition = again.metrics!.acceptedByPosition!;
        expect(byPosition.reduce((a, b) => a + b, 0)).toBe(again.metrics!.nAccept);
      }
      const b = await session.runCell(cell("baseline", "llama-server"));
      expect(b.status, b.message).toBe("ok");
      expect(b.metrics!.nDecoded).toBe(64);
      const p = await session.runCell(
        cell("parallel", "llama-server", { concurrency: 2, requests: 4, nPredict: 32 }),
      );
      expect(p.status, p.message).toBe("ok");
      expect(p.metrics!.nDecoded).toBe(4 * 32);
      expect(p.metrics!.perSequenceTps).toHaveLength(4);
    } finally {
      await session.close();
    }
  });
});
