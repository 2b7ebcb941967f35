// The synthetic family measured through real llama.cpp (node-llama-cpp, CPU, one thread): the models load
// and generate words, the identical draft reproduces the target's greedy output, and draft/target agreement
// falls as the noise rises. Agreement is teacher-forced: both models score the same token sequence (the
// target's own greedy continuation) in one batch, and we compare their next-token distributions position by
// position: top-1 agreement and total-variation distance.
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import type { Llama, LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getModelFamily } from "../support/model-family.js";
import type { ModelFamily } from "../support/model-family.js";

const PROMPTS = [
  "The quick brown fox jumps over the lazy dog",
  "Once upon a time there was a little girl",
  "She began to read the book by the window",
];
const CONTINUATION = 24;
const CONTEXT_SIZE = 256;

interface Loaded {
  model: LlamaModel;
  context: LlamaContext;
}

let llama: Llama;
let family: ModelFamily;
let target: Loaded;
/** Prompt + the target's greedy continuation, per prompt. */
const sequences: Token[][] = [];
/** The target's next-token distributions over each continuation. */
const targetDists: Map<Token, number>[][] = [];

async function load(file: string): Promise<Loaded> {
  const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: CONTEXT_SIZE, threads: 1 });
  return { model, context };
}

async function unload(m: Loaded): Promise<void> {
  await m.context.dispose();
  await m.model.dispose();
}

async function greedy(m: Loaded, prompt: string, n: number): Promise<{ input: Token[]; output: Token[] }> {
  const seq = m.context.getSequence();
  try {
    const input = [m.model.tokens.bos!, ...m.model.tokenize(prompt)];
    const output: Token[] = [];
    for await (const t of seq.evaluate(input, { temperature: 0 })) {
      output.push(t);
      if (output.length >= n) break;
    }
    return { input, output };
  } finally {
    await seq.dispose();
  }
}

/** Full-vocabulary next-token distributions (softmax of the logits) after each of the last `n` tokens... */
async function distributions(m: Loaded, tokens: Token[], n: number): Promise<Map<Token, number>[]> {
  const seq = m.context.getSequence();
  try {
    const first = tokens.length - n - 1; // ...starting with the one that predicts the first continuation token
    const res = await seq.controlledEvaluate(
      tokens.slice(0, -1).map((t, i) => (i >= first ? [t, { generateNext: { probabilities: true } }] : t)),
    );
    return res.slice(first).map((r) => r!.next.probabilities!);
  } finally {
    await seq.dispose();
  }
}

function topToken(p: Map<Token, number>): Token {
  let best: Token = -1 as Token;
  let bestP = -1;
  for (const [t, v] of p) if (v > bestP) [best, bestP] = [t, v];
  return best;
}

function totalVariation(p: Map<Token, number>, q: Map<Token, number>): number {
  let sum = 0;
  for (const [t, v] of p) sum += Math.abs(v - (q.get(t) ?? 0));
  for (const [t, v] of q) if (!p.has(t)) sum += v;
  return sum / 2;
}

/** Mean top-1 agreement and mean TV of a draft against the target over every continuation position. */
async function alignment(file: string): Promise<{ agreement: number; tv: number }> {
  const draft = await load(file);
  try {
    let agree = 0;
    let tv = 0;
    let n = 0;
    for (const [i, tokens] of sequences.entries()) {
      const q = await distributions(draft, tokens, CONTINUATION);
      for (const [j, pj] of targetDists[i]!.entries()) {
        if (topToken(pj) === topToken(q[j]!)) agree++;
        tv += totalVariation(pj, q[j]!);
        n++;
      }
    }
    return { agreement: agree / n, tv: tv / n };
  } finally {
    await unload(draft);
  }
}

beforeAll(async () => {
  family = await getModelFamily();
  llama = await getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.warn });
  target = await load(family.target);
  for (const prompt of PROMPTS) {
    const { input, output } = await greedy(target, prompt, CONTINUATION);
    const tokens = [...input, ...output];
    sequences.push(tokens);
    targetDists.push(await distributions(target, tokens, CONTINUATION));
  }
});

afterAll(async () => {
  if (target) await unload(target);
  await llama?.dispose();
});

describe("synthetic family in llama.cpp", () => {
  it("the target generates words, never EOS, with a peaked next-token distribution", () => {
    for (const tokens of sequences) {
      const output = tokens.slice(-CONTINUATION);
      expect(output).toHaveLength(CONTINUATION);
      expect(output).not.toContain(target.model.tokens.eos);
      const text = target.model.detokenize(output);
      expect(text.split(" ").filter((w) => /^[a-z]{2,}$/.test(w)).length).toBeGreaterThan(CONTINUATION / 3);
    }
    // at temperature 1 the most likely token holds most of the mass on average: not uniform noise
    const tops = targetDists.flat().map((p) => Math.max(...p.values()));
    expect(tops.reduce((a, b) => a + b, 0) / tops.length).toBeGreaterThan(0.5);
  });

  it("the identical-copy draft reproduces the target's greedy output", async () => {
    const copy = await load(family.drafts.get(0)!);
    try {
      for (const [i, prompt] of PROMPTS.entries()) {
        const { output } = await greedy(copy, prompt, CONTINUATION);
        expect(output).toEqual(sequences[i]!.slice(-CONTINUATION));
      }
    } finally {
      await unload(copy);
    }
  });

  it("agreement falls as noise rises (0 > 0.02 > 0.2 >= 1), noise 1 and the small draft under 10%", async () => {
    const levels = [0, 0.02, 0.2, 1];
    const measured = [];
    for (const level of levels) measured.push(await alignment(family.drafts.get(level)!));
    const small = await alignment(family.small);
    const agreement = measured.map((m) => m.agreement);
    const tv = measured.map((m) => m.tv);

    expect(agreement[0]).toBe(1);
    expect(tv[0]).toBeLessThan(1e-3);
    expect(agreement[1]).toBeLessThan(agreement[0]!);
    expect(agreement[2]).toBeLessThan(agreement[1]!);
    expect(agreement[3]).toBeLessThanOrEqual(agreement[2]!);
    expect(agreement[3]).toBeLessThan(0.1);
    expect(tv[1]).toBeGreaterThan(tv[0]!);
    expect(tv[2]).toBeGreaterThan(tv[1]!);
    expect(tv[3]).toBeGreaterThanOrEqual(tv[2]!);
    expect(small.agreement).toBeLessThan(0.1);
  });
});
