import { stat } from "node:fs/promises";
// Real inference on the test model family: conformance, then the properties of the project's own
// speculative sampler (identical draft accepts everything, greedy output equals the baseline, acceptance
// falls with noise). No speed is asserted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cell, CellKind, CellParams, LlamaSettings, ShardKey } from "../../core/cell.js";
import { IncompatibleModelsError } from "../../core/errors.js";
import type { CellOutcome } from "../../core/metrics.js";
import { createEngine } from "../../agents/engines/create-engine.js";
import type { Engine, EngineSession } from "../../agents/engines/engine.js";
import { describeEngineConformance } from "../support/engine-conformance.js";
import { getModelFamily, type ModelFamily } from "../support/model-family.js";
import { engineTestCell } from "../support/engine-test-cell.js";

const llama: LlamaSettings = { gpuLayers: 0, ctx: 2048, flashAttn: "auto" };
const key: ShardKey = { engine: "in-process", target: { name: "target" }, draft: { name: "draft" }, llama };
const PROMPT = "The quick brown fox jumps over the lazy dog";

function cell(kind: CellKind, overrides: Partial<CellParams> = {}): Cell {
  return engineTestCell("in-process", kind, { llama, nPredict: 24, prompt: PROMPT, seed: 7 }, overrides);
}

const makeEngine = (): Promise<Engine> => createEngine("in-process", { inProcess: { gpu: "cpu" } });

describeEngineConformance("in-process", makeEngine, async () => {
  const family = await getModelFamily();
  return {
    key,
    models: { targetPath: family.target, draftPath: family.drafts.get(0)! },
    cell,
    longCell: () => cell("baseline", { nPredict: 1900 }),
    parallel: true,
  };
});

describe("in-process speculative decoding on the model family", () => {
  let family: ModelFamily;
  let engine: Engine;
  const sessions = new Map<string, EngineSession>();
  const sessionFor = async (draftPath: string): Promise<EngineSession> => {
    let s = sessions.get(draftPath);
    if (!s) {
      s = await engine.openSession({ key, models: { targetPath: family.target, draftPath } });
      sessions.set(draftPath, s);
    }
    return s;
  };
  const run = async (draftPath: string, c: Cell): Promise<CellOutcome> => {
    const outcome = await (await sessionFor(draftPath)).runCell(c);
    expect(outcome.status, outcome.message).toBe("ok");
    return outcome;
  };

  beforeAll(async () => {
    family = await getModelFamily();
    engine = await makeEngine();
  });
  afterAll(async () => {
    for (const s of sessions.values()) await s.close();
    await engine?.dispose();
  });

  it.each([0, 0.7])(
    "an identical-copy draft accepts every drafted token at temperature %s",
    async (temperature) => {
      const out = await run(family.drafts.get(0)!, cell("speculative", { temperature, nPredict: 32 }));
      const m = out.metrics!;
      expect(m.nDrafted).toBeGreaterThan(0);
      expect(m.nAccept).toBe(m.nDrafted);
      expect(m.acceptByPosition).toEqual([1, 1, 1, 1]);
      // Every step accepts K and adds the bonus token.
      expect(m.tokensPerStep).toBeGreaterThan(4);
    },
  );

  it("at temperature 0 the speculative output equals the baseline token for token, for every draft", async () => {
    const drafts = [...family.drafts.values()];
    const base = await run(drafts[0]!, cell("baseline", { nPredict: 40 }));
    for (const draft of drafts) {
      for (const k of [2, 5]) {
        const spec = await run(draft, cell("speculative", { nPredict: 40, k: { kind: "fixed", k } }));
        expect(spec.metrics!.tokensSha256, `${draft} K=${k}`).toBe(base.metrics!.tokensSha256);
        expect(spec.metrics!.text).toBe(base.metrics!.text);
      }
    }
  });

  it("memory counts the draft's weights on speculative cells only, even when one session runs both", async () => {
    const draft = family.drafts.get(0)!;
    const base = await run(draft, cell("baseline", { nPredict: 8 }));
    const spec = await run(draft, cell("speculative", { nPredict: 8 }));
    const draftMib = (await stat(draft)).size / 1024 / 1024;
    const targetMib = (await stat(family.target)).size / 1024 / 1024;
    // the same file, loaded: the weights dominate these tiny models' footprint
    expect(base.metrics!.memoryMib!).toBeGreaterThan(targetMib * 0.9);
    expect(spec.metrics!.memoryMib! - base.metrics!.memoryMib!).toBeGreaterThan(draftMib * 0.9);
  });

  it("acceptance falls as draft noise rises; the noisiest draft accepts under 10%", async () => {
    const levels = [...family.drafts.keys()].sort((a, b) => a - b);
    const rates: number[] = [];
    for (const level of levels) {
      const out = await run(family.drafts.get(level)!, cell("speculative", { nPredict: 64 }));
      rates.push(out.metrics!.acceptRate!);
    }
    // Strictly falling over the coarse ladder the issue names (0 > 0.02 > 0.2 >= 1), using the levels present.
    const at = (level: number): number | undefined => {
      const i = levels.indexOf(level);
      return i < 0 ? undefined : rates[i];
    };
    const ladder = [0, 0.02, 0.2, 1].map(at).filter((r): r is number => r !== undefined);
    expect(ladder.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < ladder.length; i++) {
      if (i === ladder.length - 1) expect(ladder[i]).toBeLessThanOrEqual(ladder[i - 1]!);
      else expect(ladder[i]).toBeLessThan(ladder[i - 1]!);
    }
    expect(rates[0]).toBe(1);
    expect(rates.at(-1)).toBeLessThan(0.1);
  });

  it("the independent small draft is accepted near 0%", async () => {
    const out = await run(family.small, cell("speculative", { nPredict: 48 }));
    expect(out.metrics!.acceptRate).toBeLessThan(0.1);
  });

  it("adaptive K raises K for an aligned draft and lowers it for a misaligned one; meanK is recorded", async () => {
    const adaptive = {
      kind: "adaptive",
      kMin: 1,
      kMax: 8,
      kStart: 4,
      raiseAbove: 0.8,
      lowerBelow: 0.3,
    } as const;
    const levels = [...family.drafts.keys()].sort((a, b) => a - b);
    const aligned = await run(
      family.drafts.get(levels[0]!)!,
      cell("speculative", { nPredict: 64, k: adaptive }),
    );
    const noisy = await run(
      family.drafts.get(levels.at(-1)!)!,
      cell("speculative", { nPredict: 64, k: adaptive }),
    );
    expect(aligned.metrics!.meanK).toBeGreaterThan(4);
    expect(noisy.metrics!.meanK).toBeLessThan(4);
    // Positions beyond the start K are only reached by raising K.
    expect(aligned.metrics!.acceptByPosition!.length).toBeGreaterThan(4);
  });

  it("parallel cells decode several sequences with and without a draft", async () => {
    const draft = family.drafts.get(0)!;
    const plain = await run(
      draft,
      cell("parallel", { concurrency: 3, requests: 4, temperature: 0.7, nPredict: 16 }),
    );
    expect(plain.metrics!.nDecoded).toBe(64);
    expect(plain.metrics!.perSequenceTps).toHaveLength(4);
    expect(plain.metrics!.nDrafted).toBeUndefined();
    const spec = await run(
      draft,
      cell("parallel", {
        concurrency: 3,
        requests: 3,
        temperature: 0.7,
        nPredict: 16,
        draft: { name: "draft" },
        k: { kind: "fixed", k: 3 },
      }),
    );
    expect(spec.metrics!.nDecoded).toBe(48);
    expect(spec.metrics!.nAccept).toBe(spec.metrics!.nDrafted);
  });

  it("a draft whose vocabulary cannot pair fails when the session opens, naming both models", async () => {
    const open = engine.openSession({
      key,
      models: { targetPath: family.target, draftPath: family.vocabMismatch },
    });
    await expect(open).rejects.toBeInstanceOf(IncompatibleModelsError);
    await expect(open).rejects.toThrow(
      /target\.gguf.*vocab-mismatch\.gguf|vocab-mismatch\.gguf.*target\.gguf/,
    );
  });

  it("a speculative cell on a session without a draft is a failed outcome, not a throw", async () => {
    const s = await engine.openSession({
      key: { ...key, draft: undefined },
      models: { targetPath: family.target },
    });
    try {
      const out = await s.runCell(cell("speculative"));
      expect(out.status).toBe("failed");
      expect(out.invalidReason).toBe("rejected-parameter");
      expect(out.message).toMatch(/needs a draft model/);
    } finally {
      await s.close();
    }
  });
});
