// Losslessness at temperature > 0: speculative sampling must leave the target's output distribution
// unchanged. Over many seeds, the in-process engine's speculative generations (draft proposes K = 2, the
// project's rejection sampler decides) and its baseline generations (llama.cpp's own sampler, target alone)
// are two samples of the same distribution at every early position. Each position's total-variation
// distance between the two samples is compared with the sampling floor: the TV distances of random
// re-splits of the pooled sample (a permutation test), which is what two samples of one distribution show.
// A draft-only sample is held against the same floor to show the test can see a real difference.
//
// Position 1 is decided by the first verification (accept, or resample from the residual); position 2 by
// the second draft token's acceptance after an accepted first, or by a fresh step; position 3 by the bonus
// token or a later step, so every path of the sampler is exercised.
import { getLlama, type Llama, type LlamaContext, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { generateBaseline } from "../../agents/engines/in-process/generate-baseline.js";
import { generateSpeculative } from "../../agents/engines/in-process/generate-speculative.js";
import { DEFAULT_TOP_K } from "../../agents/engines/in-process/in-process-engine.js";
import { SeededPrng } from "../../core/sampling/seeded-prng.js";
import { totalVariation } from "../../core/sampling/total-variation.js";
import { getModelFamily } from "../support/model-family.js";

const SEEDS = 300;
const POSITIONS = 3;
const PERMUTATIONS = 400;
const TEMPERATURE = 1;
const PROMPT = "Once upon a time there was a little girl";

type Sample = number[][];

function empirical(tokens: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1 / tokens.length);
  return counts;
}

/** TV between two samples, and the largest and 99th-percentile TV of random re-splits of their pool. */
function twoSample(
  a: readonly number[],
  b: readonly number[],
  seed: number,
): { tv: number; floor99: number; floorMax: number } {
  const tv = totalVariation(empirical(a), empirical(b));
  const pool = [...a, ...b];
  const prng = new SeededPrng(seed);
  const floor: number[] = [];
  for (let r = 0; r < PERMUTATIONS; r++) {
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(prng.next() * (i + 1));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    floor.push(totalVariation(empirical(pool.slice(0, a.length)), empirical(pool.slice(a.length))));
  }
  floor.sort((x, y) => x - y);
  return { tv, floor99: floor[Math.floor(0.99 * (floor.length - 1))]!, floorMax: floor.at(-1)! };
}

const column = (s: Sample, i: number): number[] => s.map((tokens) => tokens[i]!);

describe("speculative sampling at T > 0 is lossless against the baseline", () => {
  let lib: Llama;
  let contexts: LlamaContext[] = [];
  const spec: Sample = [];
  const base: Sample = [];
  const draftOnly: Sample = [];
  let accepted = 0;
  let drafted = 0;

  beforeAll(async () => {
    const family = await getModelFamily();
    // 5% noise: accepted about half the time, so both the accept and the residual paths run often
    const level = [...family.drafts.keys()]
      .filter((l) => l > 0)
      .sort((x, y) => Math.abs(x - 0.05) - Math.abs(y - 0.05))[0]!;
    lib = await getLlama({ gpu: false, build: "never", skipDownload: true });
    const target: LlamaModel = await lib.loadModel({ modelPath: family.target, gpuLayers: 0 });
    const draft: LlamaModel = await lib.loadModel({ modelPath: family.drafts.get(level)!, gpuLayers: 0 });
    const targetCtx = await target.createContext({ contextSize: 256, threads: 1 });
    const draftCtx = await draft.createContext({ contextSize: 256, threads: 1 });
    contexts = [targetCtx, draftCtx];
    const prompt: Token[] = [
      ...(target.tokens.shouldPrependBosToken && target.tokens.bos !== null ? [target.tokens.bos] : []),
      ...target.tokenize(PROMPT),
    ];
    const targetSeq = targetCtx.getSequence();
    const draftSeq = draftCtx.getSequence();
    const gen = { nPredict: POSITIONS, temperature: TEMPERATURE, topK: DEFAULT_TOP_K };
    for (let seed = 0; seed < SEEDS; seed++) {
      const s = await generateSpeculative(targetSeq, draftSeq, prompt, {
        ...gen,
        seed,
        kPolicy: { kind: "fixed", k: 2 },
      });
      accepted += s.speculative!.nAccept;
      drafted += s.speculative!.nDrafted;
      spec.push(s.tokens);
      // seeds far from the speculative ones: the two samples must be independent draws
      base.push((await generateBaseline(targetSeq, prompt, { ...gen, seed: 1_000_000 + seed })).tokens);
      draftOnly.push((await generateBaseline(draftSeq, prompt, { ...gen, seed: 2_000_000 + seed })).tokens);
    }
  }, 600_000);

  afterAll(async () => {
    for (const c of contexts) await c.dispose();
    await lib?.dispose();
  });

  it("every early position's distribution matches the baseline's within the sampling floor", () => {
    expect(spec.every((t) => t.length === POSITIONS) && base.every((t) => t.length === POSITIONS)).toBe(true);
    // both sampler paths ran
    expect(accepted).toBeGreaterThan(0.1 * drafted);
    expect(accepted).toBeLessThan(0.9 * drafted);
    const lines: string[] = [];
    for (let i = 0; i < POSITIONS; i++) {
      const same = twoSample(column(spec, i), column(base, i), 77 + i);
      const other = twoSample(column(draftOnly, i), column(base, i), 177 + i);
      lines.push(
        `position ${i + 1}: TV(spec, baseline)=${same.tv.toFixed(4)} (floor p99 ${same.floor99.toFixed(4)}, max ${same.floorMax.toFixed(4)}); ` +
          `TV(draft alone, baseline)=${other.tv.toFixed(4)} (floor max ${other.floorMax.toFixed(4)})`,
      );
      expect(same.tv, lines.at(-1)).toBeLessThanOrEqual(same.floor99);
      // the same test sees the draft's own distribution as different: it has power
      if (i === 0) expect(other.tv, lines.at(-1)).toBeGreaterThan(other.floorMax);
    }
    console.log(
      `lossless at T=${TEMPERATURE}, ${SEEDS} seeds, accepted ${accepted}/${drafted}:\n  ${lines.join("\n  ")}`,
    );
  });
});
