// The sampler is exact: over many seeded speculative runs at temperature 1 with a noisy draft, the first
// generated token (decided by rejection sampling in the first verification step) is distributed as the
// target's filtered distribution p: as close to p as the same number of plain samples from p, and far
// from the draft's q. Results carry text, not token ids, so distributions are compared over each token's
// text (distinct ids with equal text merge on both sides, which can only hide a difference, never make one).
import { createHash } from "node:crypto";
import { getLlama, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cell, CellParams, LlamaSettings, ShardKey } from "../../core/cell.js";
import { filterTopK } from "../../core/sampling/filter-top-k.js";
import { sampleToken } from "../../core/sampling/sample-token.js";
import { SeededPrng } from "../../core/sampling/seeded-prng.js";
import type { TokenDistribution } from "../../core/sampling/token-distribution.js";
import { totalVariation } from "../../core/sampling/total-variation.js";
import { createEngine } from "../../agents/engines/create-engine.js";
import type { Engine, EngineSession } from "../../agents/engines/engine.js";
import { DEFAULT_TOP_K } from "../../agents/engines/in-process/in-process-engine.js";
import { getModelFamily } from "../support/model-family.js";

const DRAWS = 400;
/** Replicates of plain sampling that give the noise floor of the TV distance at DRAWS samples. */
const FLOOR_REPLICATES = 200;
const TEMPERATURE = 1;
const PROMPT = "Once upon a time there was a little girl";
const llama: LlamaSettings = { gpuLayers: 0, ctx: 256, flashAttn: "auto" };
const key: ShardKey = { engine: "in-process", target: { name: "target" }, draft: { name: "draft" }, llama };

function cell(seed: number): Cell {
  const params: CellParams = {
    kind: "speculative",
    engine: "in-process",
    target: { name: "target" },
    draft: { name: "draft" },
    k: { kind: "fixed", k: 2 },
    temperature: TEMPERATURE,
    prompt: PROMPT,
    promptHash: createHash("sha256").update(PROMPT).digest("hex"),
    promptIndex: 0,
    nPredict: 1,
    seed,
    repeat: 0,
    llama,
  };
  return { ...params, cellId: `exact-${seed}` };
}

type TextDistribution = ReadonlyMap<string, number>;

/** The filtered next-token distribution a model gives after the prompt, read straight from llama.cpp, by text. */
async function nextTokenDistribution(model: LlamaModel, detokenizer: LlamaModel): Promise<TextDistribution> {
  const ctx = await model.createContext({ contextSize: 256, threads: 1 });
  try {
    const seq = ctx.getSequence();
    const tokens: Token[] = [model.tokens.bos!, ...model.tokenize(PROMPT)];
    const options = { temperature: TEMPERATURE, topK: DEFAULT_TOP_K, topP: 1, minP: 0 };
    const out = await seq.controlledEvaluate([
      ...tokens.slice(0, -1),
      [tokens.at(-1)!, { generateNext: { probabilities: true, options } }],
    ]);
    const byText = new Map<string, number>();
    for (const [token, prob] of filterTopK(out.at(-1)!.next.probabilities!, DEFAULT_TOP_K)) {
      const text = detokenizer.detokenize([token as Token]);
      byText.set(text, (byText.get(text) ?? 0) + prob);
    }
    return byText;
  } finally {
    await ctx.dispose();
  }
}

function empirical<T>(tokens: readonly T[]): ReadonlyMap<T, number> {
  const counts = new Map<T, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  return new Map([...counts].map(([t, c]) => [t, c / tokens.length]));
}

describe("the in-process speculative sampler is exact", () => {
  let engine: Engine;
  let session: EngineSession;
  let p: TextDistribution;
  let q: TextDistribution;

  beforeAll(async () => {
    const family = await getModelFamily();
    // The draft nearest 5% noise: it disagrees with the target often enough to exercise both the accept
    // and the residual paths, without being unrelated.
    const level = [...family.drafts.keys()]
      .filter((l) => l > 0)
      .sort((a, b) => Math.abs(a - 0.05) - Math.abs(b - 0.05))[0]!;
    const draftPath = family.drafts.get(level)!;
    const lib = await getLlama({ gpu: false, build: "never", skipDownload: true });
    try {
      const target = await lib.loadModel({ modelPath: family.target, gpuLayers: 0 });
      const draft = await lib.loadModel({ modelPath: draftPath, gpuLayers: 0 });
      p = await nextTokenDistribution(target, target);
      q = await nextTokenDistribution(draft, target);
    } finally {
      await lib.dispose();
    }
    engine = await createEngine("in-process", { inProcess: { gpu: "cpu" } });
    session = await engine.openSession({ key, models: { targetPath: family.target, draftPath } });
  });
  afterAll(async () => {
    await session?.close();
    await engine?.dispose();
  });

  it("first-token distribution matches the target within sampling noise and is far from the draft", async () => {
    // Precondition: the pair differs enough that "far from q" means something.
    const tvPQ = totalVariation(p, q);
    expect(tvPQ).toBeGreaterThan(0.2);

    const firstTokens: string[] = [];
    let drafted = 0;
    let accepted = 0;
    for (let seed = 0; seed < DRAWS; seed++) {
      const out = await session.runCell(cell(seed));
      expect(out.status, out.message).toBe("ok");
      drafted += out.metrics!.nDrafted!;
      accepted += out.metrics!.nAccept!;
      firstTokens.push(out.metrics!.text!);
    }
    const tvSpec = totalVariation(empirical(firstTokens), p);

    // The noise floor: TV to p of DRAWS plain samples from p, over many replicates.
    const texts = [...p.keys()];
    const byIndex: TokenDistribution = new Map(texts.map((t, i) => [i, p.get(t)!]));
    const floor: number[] = [];
    for (let r = 0; r < FLOOR_REPLICATES; r++) {
      const prng = new SeededPrng(1_000_000 + r);
      const draws = Array.from({ length: DRAWS }, () => texts[sampleToken(byIndex, prng.next())]!);
      floor.push(totalVariation(empirical(draws), p));
    }
    floor.sort((a, b) => a - b);
    const floorMax = floor.at(-1)!;
    const floorMedian = floor[Math.floor(floor.length / 2)]!;

    expect(tvSpec).toBeLessThanOrEqual(floorMax);
    expect(totalVariation(empirical(firstTokens), q)).toBeGreaterThan(Math.max(tvPQ / 2, 2 * floorMax));
    // Both paths ran: some drafts were accepted, some rejected and resampled from the residual.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(drafted);
    console.log(
      `exactness: TV(spec, p)=${tvSpec.toFixed(4)}; plain-sampling floor median ${floorMedian.toFixed(4)}, ` +
        `max ${floorMax.toFixed(4)}; TV(p, q)=${tvPQ.toFixed(4)}; accepted ${accepted}/${drafted}`,
    );
  });
});
