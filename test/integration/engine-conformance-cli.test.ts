// The shared engine conformance suite (test/support/engine-conformance.ts) for the entries of the engine
// traits table that run llama.cpp command-line tools, against the real binaries of SPECGRID_LLAMA_BIN on
// the synthetic model family: skipped on a developer's machine without a build, failed under CI=true
// (describeRealLlama). in-process and llama-server run it in their own files; the table below names where
// each entry runs it, so a new entry without conformance fails to compile. The CLI tools differ from the
// session engines in declared ways (fixture flags): each cell loads its models, they print text, not token
// ids, and the speculative tools may decode up to K tokens past n_predict; llama-parallel prints no text and
// no load or prompt time, and llama-bench runs bench cells (its own repetitions, its own warm-up) with no
// text and no load time.
import { beforeAll, describe, expect, it } from "vitest";
import type { Cell, CellKind, CellParams, EngineName, LlamaSettings } from "../../core/cell.js";
import { ENGINE_NAMES, ENGINE_TRAITS } from "../../core/engines.js";
import { createEngine } from "../../agents/engines/create-engine.js";
import { probeLlamaBuild, type LlamaBuildProbe } from "../../agents/probe/probe-llama-build.js";
import { describeEngineConformance, type EngineConformanceFixtures } from "../support/engine-conformance.js";
import { engineTestCell } from "../support/engine-test-cell.js";
import { getModelFamily, type ModelFamily } from "../support/model-family.js";
import { describeRealLlama, realLlamaBin } from "../support/real-llama.js";

/** Where each traits-table entry runs the conformance suite. */
const CONFORMANCE: Record<EngineName, string> = {
  "in-process": "test/integration/in-process-engine.test.ts",
  "llama-server": "test/integration/llama-server.test.ts (replayed); real binaries in real-llama.test.ts",
  "llama-speculative": "this file",
  "llama-speculative-simple": "this file",
  "llama-completion": "this file",
  "llama-parallel": "this file",
  "llama-bench": "this file",
};

/** What each entry's results lack or do differently, beyond its traits (EngineConformanceFixtures). */
const DECLARED: Partial<Record<EngineName, Partial<EngineConformanceFixtures>>> = {
  // agents/engines/llama-cli/read-cli-run.ts: its speeds divide the whole run's wall time, and the clients'
  // answers are among its logs, not a text of the cell's
  "llama-parallel": { output: "none", unreported: ["loadMs", "promptMs"] },
  // agents/engines/llama-bench: `-o json` rows of llama-bench's own repetitions, after a warm-up of its own
  "llama-bench": { plainKind: "bench", output: "none", unreported: ["loadMs"], sessionWarmup: false },
};

describe("engine conformance covers the traits table", () => {
  it("names a conformance run for every entry", () => {
    expect(Object.keys(CONFORMANCE).sort()).toEqual([...ENGINE_NAMES].sort());
  });
});

// llama-parallel adds its own system prompt (1,063 tokens with the family's vocabulary) before each request
const llama: LlamaSettings = { gpuLayers: 0, ctx: 4096, flashAttn: "auto", threads: 1 };
// a bench cell also times a 16-token prompt, so its results carry a prompt time like a baseline's
const cellFor =
  (engine: EngineName) =>
  (kind: CellKind, overrides: Partial<CellParams> = {}): Cell =>
    engineTestCell(
      engine,
      kind,
      { llama, nPredict: 24 },
      { ...(kind === "bench" ? { bench: { repetitions: 2, nPrompt: 16 } } : {}), ...overrides },
    );

const CLI_ENGINES = ENGINE_NAMES.filter((n) => CONFORMANCE[n] === "this file");

describeRealLlama("engine conformance: llama.cpp CLI engines on real binaries", () => {
  let family: ModelFamily;
  let build: LlamaBuildProbe;
  beforeAll(async () => {
    family = await getModelFamily();
    build = await probeLlamaBuild(realLlamaBin);
  });

  for (const engine of CLI_ENGINES) {
    const traits = ENGINE_TRAITS[engine];
    const speculative = traits.speculation.length > 0;
    const cell = cellFor(engine);
    describeEngineConformance(
      `${engine} (real)`,
      () => createEngine(engine, { llama: { build, timeoutMs: 120_000 } }),
      () =>
        Promise.resolve({
          key: {
            engine,
            target: { name: "target" },
            ...(speculative ? { draft: { name: "draft" } } : {}),
            llama,
          },
          models: {
            targetPath: family.target,
            ...(speculative ? { draftPath: family.drafts.get(0.05)! } : {}),
          },
          cell,
          longCell: () => cell(DECLARED[engine]?.plainKind ?? "baseline", { nPredict: 900 }),
          parallel: speculative || engine === "llama-parallel",
          speculative,
          loadsPerCell: traits.loads === "cell",
          output: "text",
          speculativeOvershoot: true,
          ...DECLARED[engine],
        }),
    );
  }
});
