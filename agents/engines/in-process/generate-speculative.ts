// The project's own speculative decoder (Leviathan et al. 2023; Chen et al. 2023) on real llama.cpp.
// Per step: the draft proposes K tokens one at a time; the target scores all K+1 positions in one
// batch (controlledEvaluate); core/sampling decides what survives; both KV caches roll back to the
// accepted prefix. Not node-llama-cpp's DraftSequenceTokenPredictor: see docs/in-process-engine.md.
import type { ControlledEvaluateInputItem, LlamaContextSequence, Token } from "node-llama-cpp";
import { kValue, type KPolicy } from "../../../core/cell.js";
import { filterTopK } from "../../../core/sampling/filter-top-k.js";
import { createKController } from "../../../core/sampling/k-controller.js";
import { sampleToken } from "../../../core/sampling/sample-token.js";
import { SeededPrng } from "../../../core/sampling/seeded-prng.js";
import type { TokenDistribution } from "../../../core/sampling/token-distribution.js";
import { verifyDraft, type VerifyResult } from "../../../core/sampling/verify-draft.js";
import type { GenerationOptions, GenerationRecord, StopReason } from "./generation-record.js";

export interface SpeculativeOptions extends GenerationOptions {
  kPolicy: KPolicy;
}

/** One model's KV cache: what it has evaluated of the committed history. */
interface Lane {
  seq: LlamaContextSequence;
  /** Tokens of the history (plus, transiently, drafts) in the KV cache. */
  evaluated: number;
}

type NextOptions = Exclude<ControlledEvaluateInputItem, Token>[1];

interface Scored {
  token?: Token;
  dist?: TokenDistribution;
}

export async function generateSpeculative(
  targetSeq: LlamaContextSequence,
  draftSeq: LlamaContextSequence,
  prompt: readonly Token[],
  opts: SpeculativeOptions,
): Promise<GenerationRecord> {
  const greedy = opts.temperature === 0;
  const prng = new SeededPrng(opts.seed);
  const controller = createKController(opts.kPolicy);
  const kMax = kValue(opts.kPolicy);
  // Greedy steps ask llama.cpp for its argmax token (the same greedy sampler the baseline uses, ties
  // included); sampled steps ask for the top-k map at temperature T and draw in JS.
  const next: NextOptions = greedy
    ? { generateNext: { token: true, options: { temperature: 0 } } }
    : {
        generateNext: {
          probabilities: true,
          options: { temperature: opts.temperature, topK: opts.topK, topP: 1, minP: 0 },
        },
      };
  // JS time spent on probabilities (top-k filtering, draws, verification): the engine's own overhead per
  // step, which must stay small against a target pass (test/bench/spec-overhead.ts measures it).
  let samplerMs = 0;
  const score = (
    out: { next: { token?: Token | null; probabilities?: Map<Token, number> } } | undefined,
  ): Scored => {
    const start = performance.now();
    try {
      return scoreOne(out);
    } finally {
      samplerMs += performance.now() - start;
    }
  };
  const scoreOne = (
    out: { next: { token?: Token | null; probabilities?: Map<Token, number> } } | undefined,
  ): Scored => {
    if (greedy) {
      if (out?.next.token == null)
        throw new Error("llama.cpp returned no greedy token for a scored position");
      return { token: out.next.token };
    }
    if (!out?.next.probabilities)
      throw new Error("llama.cpp returned no probabilities for a scored position");
    return { dist: filterTopK(out.next.probabilities, opts.topK) };
  };

  await Promise.all([targetSeq.clearHistory(), draftSeq.clearHistory()]);
  const promptStart = performance.now();
  const prefill = prompt.slice(0, -1);
  if (prefill.length > 0) {
    await targetSeq.evaluateWithoutGeneratingNewTokens(prefill);
    await draftSeq.evaluateWithoutGeneratingNewTokens(prefill);
  }
  const promptMs = performance.now() - promptStart;

  const target: Lane = { seq: targetSeq, evaluated: prefill.length };
  const draft: Lane = { seq: draftSeq, evaluated: prefill.length };
  const history: Token[] = [...prompt];
  const tokens: number[] = [];
  const draftedByPosition = new Array<number>(kMax).fill(0);
  const acceptedByPosition = new Array<number>(kMax).fill(0);
  let stopReason: StopReason = "n-predict";
  let targetSteps = 0;
  let targetMs = 0;
  let draftMs = 0;
  const room = Math.min(targetSeq.contextSize, draftSeq.contextSize);

  const decodeStart = performance.now();
  while (tokens.length < opts.nPredict) {
    if (opts.signal?.aborted) {
      stopReason = "cancelled";
      break;
    }
    const k = controller.k;
    if (history.length + k + 1 > room) {
      stopReason = "context-full";
      break;
    }

    // Draft: K autoregressive single-token evaluations. The first call also feeds whatever committed
    // tokens the draft has not seen (after an all-accepted step, its last draft token).
    const draftStart = performance.now();
    const draftTokens: Token[] = [];
    const draftDists: TokenDistribution[] = [];
    let feed = history.slice(draft.evaluated);
    for (let j = 0; j < k; j++) {
      const results = await draft.seq.controlledEvaluate(withNextOnLast(feed, next));
      draft.evaluated += feed.length;
      const scored = score(results.at(-1));
      const sampleStart = performance.now();
      const token = scored.token ?? (sampleToken(scored.dist!, prng.next()) as Token);
      samplerMs += performance.now() - sampleStart;
      draftTokens.push(token);
      if (scored.dist) draftDists.push(scored.dist);
      feed = [token];
    }
    draftMs += performance.now() - draftStart;

    // Target: the pending committed tokens plus all K drafts in one batch; the last K+1 positions are scored.
    const targetStart = performance.now();
    const pending = history.slice(target.evaluated);
    const items: ControlledEvaluateInputItem[] = [
      ...pending.slice(0, -1),
      ...[pending.at(-1)!, ...draftTokens].map((t): ControlledEvaluateInputItem => [t, next]),
    ];
    const results = await target.seq.controlledEvaluate(items);
    target.evaluated += items.length;
    targetSteps += 1;
    const scored = results.slice(-(k + 1)).map(score);
    targetMs += performance.now() - targetStart;

    const verifyStart = performance.now();
    const verdict: VerifyResult = greedy
      ? verifyDraft({ mode: "greedy", draftTokens, targetTokens: scored.map((s) => s.token!) })
      : verifyDraft({
          mode: "sampled",
          draftTokens,
          draftDists,
          targetDists: scored.map((s) => s.dist!),
          prng,
        });
    samplerMs += performance.now() - verifyStart;
    controller.record(k, verdict.nAccepted);
    for (let i = 0; i < k; i++) draftedByPosition[i]! += 1;
    for (let i = 0; i < verdict.nAccepted; i++) acceptedByPosition[i]! += 1;

    // Roll both caches back to the committed history minus its last token (which is pending for the
    // next step). Tokens accepted stay cached; rejected drafts are erased.
    const keep = history.length + verdict.nAccepted;
    history.push(...(verdict.tokens as Token[]));
    const rollStart = performance.now();
    await rollBack(target, keep);
    targetMs += performance.now() - rollStart;
    const draftRollStart = performance.now();
    await rollBack(draft, keep);
    draftMs += performance.now() - draftRollStart;

    for (const token of verdict.tokens) {
      if (targetSeq.model.isEogToken(token as Token)) {
        stopReason = "eog";
        break;
      }
      tokens.push(token);
      if (tokens.length >= opts.nPredict) break;
    }
    if (stopReason === "eog") break;
  }
  const decodeMs = performance.now() - decodeStart;

  const nDrafted = draftedByPosition.reduce((a, b) => a + b, 0);
  const nAccept = acceptedByPosition.reduce((a, b) => a + b, 0);
  return {
    tokens,
    stopReason,
    nPrompt: prompt.length,
    promptMs,
    decodeMs,
    targetSteps,
    targetMs,
    draftMs,
    samplerMs,
    speculative: { nDrafted, nAccept, draftedByPosition, acceptedByPosition, meanK: controller.meanK },
  };
}

function withNextOnLast(feed: readonly Token[], next: NextOptions): ControlledEvaluateInputItem[] {
  return [...feed.slice(0, -1), [feed.at(-1)!, next]];
}

async function rollBack(lane: Lane, keep: number): Promise<void> {
  if (lane.evaluated <= keep) return;
  await lane.seq.eraseContextTokenRanges([{ start: keep, end: lane.evaluated }]);
  lane.evaluated = keep;
}
