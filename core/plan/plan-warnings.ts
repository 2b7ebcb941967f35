// What a careful experimenter should know before spending GPU hours on a plan: measurements that will not
// mean what they seem, cells an engine will refuse, outputs that will be cut off. Each warning says what
// happens and what to change.
import { ENGINE_TRAITS } from "../engines.js";
import type { Manifest } from "../manifest/manifest.js";
import { modelsInUse } from "../manifest/models-in-use.js";

export interface PlanFacts {
  speculativeCells: number;
  baselineCells: number;
  /** Parallel no-draft cells that two pairs with the same target share (planned once). */
  sharedParallelCells: number;
}

/** Rough prompt size for context checks; real token counts depend on the tokenizer. */
const BYTES_PER_TOKEN_GUESS = 3;

function promptTokensGuess(m: Manifest): number {
  const longest = Math.max(0, ...m.prompts.map((p) => Buffer.byteLength(p.text)));
  return Math.ceil(longest / BYTES_PER_TOKEN_GUESS) + 1;
}

function kWarnings(m: Manifest, out: string[]): void {
  const fixed = m.sweep.k.filter((k): k is number => typeof k === "number");
  const maxK = Math.max(0, ...fixed, m.adaptive?.kMax ?? 0);
  const traits = ENGINE_TRAITS[m.engine];
  if ("kMax" in traits) {
    const over = fixed.filter((k) => k > traits.kMax);
    if (over.length > 0) {
      out.push(
        `K ${over.join(", ")} is above what engine ${m.engine} supports (1..${traits.kMax}${traits.adaptiveK ? ' or "adaptive"' : ""}): ` +
          `agents will reject those cells; lower K or pick a llama.cpp engine.`,
      );
    }
  }
  // llama.cpp verifies K + 1 tokens in one batch of llama.batch
  if (traits.family !== "in-process" && m.llama.batch !== undefined && maxK + 1 > m.llama.batch) {
    out.push(
      `K ${maxK} needs ${maxK + 1} tokens per verification batch but llama.batch is ${m.llama.batch}: raise llama.batch.`,
    );
  }
  // llama.cpp's speculative tools overshoot n_predict by up to K + 1 tokens before they stop.
  const needed = promptTokensGuess(m) + m.sweep.nPredict + maxK + 1;
  if (needed > m.llama.ctx) {
    out.push(
      `the longest prompt (~${promptTokensGuess(m)} tokens, guessed at ${BYTES_PER_TOKEN_GUESS} bytes/token) + n_predict ` +
        `${m.sweep.nPredict} + K+1 = ~${needed} tokens exceeds llama.ctx ${m.llama.ctx}: output will be cut off ` +
        `and cells marked invalid. Raise llama.ctx or lower n_predict.`,
    );
  }
}

function parallelWarnings(m: Manifest, out: string[]): void {
  const p = m.parallel;
  if (p === undefined) return;
  if (p.draft.includes(true) && !ENGINE_TRAITS[m.engine].parallelDraft) {
    out.push(
      `engine ${m.engine} runs parallel cells with llama-parallel, which cannot load a draft model: the parallel ` +
        `cells with draft: true will be rejected. Use engine llama-server or in-process for batched speculation.`,
    );
  }
  const tooFew = p.concurrency.filter((c) => p.requests < c);
  if (tooFew.length > 0) {
    out.push(
      `parallel.requests ${p.requests} is below concurrency ${tooFew.join(", ")}: those batches are never full. ` +
        `Raise requests to at least ${Math.max(...tooFew)}.`,
    );
  }
  // llama-server and in-process split llama.ctx between the sequences decoded at once
  if (ENGINE_TRAITS[m.engine].family !== "llama-cli") {
    const perSequence = Math.floor(m.llama.ctx / Math.max(...p.concurrency));
    const needed = promptTokensGuess(m) + m.sweep.nPredict + (p.draft.includes(true) ? p.k + 1 : 0);
    if (needed > perSequence) {
      out.push(
        `at concurrency ${Math.max(...p.concurrency)} each sequence gets ctx/${Math.max(...p.concurrency)} = ` +
          `${perSequence} tokens, less than the ~${needed} a request needs: raise llama.ctx.`,
      );
    }
  }
}

function samplingWarnings(m: Manifest, facts: PlanFacts, out: string[]): void {
  const hot = m.sweep.temperature.filter((t) => t > 0);
  if (hot.length > 0 && ENGINE_TRAITS[m.engine].drafter === "greedy" && facts.speculativeCells > 0) {
    out.push(
      `engine ${m.engine} drafts greedily (llama.cpp draft-simple): at temperature ${hot.join(", ")} a draft token ` +
        `counts as accepted only when the target's sample equals it, which is not the rejection-sampling ` +
        `acceptance α of the theory; compare such acceptance only with itself. llama-speculative and in-process ` +
        `use rejection sampling.`,
    );
  }
  if (m.sweep.repeats > 1 && hot.length === 0) {
    out.push(
      `every temperature is 0: the ${m.sweep.repeats} repeats decode identical text, so they measure timing noise only.`,
    );
  }
  if (m.sweep.repeats > 1 && hot.length > 0) {
    out.push(
      `repeat r uses seed ${m.sweep.seed} + r; baseline and speculative cells of the same (temperature, prompt, ` +
        `repeat) share a seed, but at temperature > 0 their texts still differ (drafting uses the random stream ` +
        `differently): pair them by rate, not by text.`,
    );
  }
}

export function planWarnings(m: Manifest, facts: PlanFacts): string[] {
  const out: string[] = [];
  const named = new Set(m.pairs.flatMap((p) => (p.draft === undefined ? [p.target] : [p.target, p.draft])));
  const unused = Object.keys(m.models).filter((name) => !named.has(name));
  if (unused.length > 0) {
    out.push(`models ${unused.join(", ")} are in no pair: nothing runs them (agents need not hold them).`);
  }
  const used = modelsInUse(m);
  const idleDrafts = [...named].filter((name) => !used.has(name));
  if (idleDrafts.length > 0) {
    out.push(
      `drafts ${idleDrafts.join(", ")} are never loaded: every sweep.spec_type is draftless and no parallel cell uses a draft (agents need not hold them).`,
    );
  }
  samplingWarnings(m, facts, out);
  kWarnings(m, out);
  parallelWarnings(m, out);
  if (facts.baselineCells === 0 && facts.speculativeCells > 0) {
    out.push(
      "baseline: false: speedup (speculative / baseline decode t/s on the same host) cannot be computed.",
    );
  }
  if (facts.sharedParallelCells > 0) {
    out.push(
      `${facts.sharedParallelCells} parallel cell(s) without a draft are the same run for pairs that share a ` +
        `target; each is planned once, so parallel is below pairs × concurrency × draft options.`,
    );
  }
  return out;
}
