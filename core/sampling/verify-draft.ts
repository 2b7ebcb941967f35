// One verification step of speculative decoding: the draft proposed K tokens, the target scored K+1
// positions in one batch; decide how many drafts survive and which token follows them.
import { residualDistribution } from "./residual-distribution.js";
import { sampleToken } from "./sample-token.js";
import type { SeededPrng } from "./seeded-prng.js";
import type { TokenDistribution } from "./token-distribution.js";

/** Temperature 0: accept while the draft token equals the target's greedy token. */
export interface GreedyVerifyInput {
  mode: "greedy";
  draftTokens: readonly number[];
  /** The target's greedy token at each of the K+1 positions. */
  targetTokens: readonly number[];
}

/** Temperature > 0: rejection sampling on the (identically filtered) target and draft distributions. */
export interface SampledVerifyInput {
  mode: "sampled";
  draftTokens: readonly number[];
  /** q_i: the distribution draft token i was sampled from (K entries). */
  draftDists: readonly TokenDistribution[];
  /** p_i: the target's distribution at each of the K+1 positions. */
  targetDists: readonly TokenDistribution[];
  prng: SeededPrng;
}

export interface VerifyResult {
  /** Draft tokens accepted, a prefix of the proposal. */
  nAccepted: number;
  /** The accepted draft tokens followed by one token from the target (correction or bonus). */
  tokens: number[];
  /** True when all K drafts were accepted and the last token is the bonus from position K+1. */
  bonus: boolean;
}

/** min(1, p/q): the probability of keeping a draft token that the draft proposed with probability q. */
export function acceptProbability(p: number, q: number): number {
  if (q <= 0) return p > 0 ? 1 : 0;
  return Math.min(1, p / q);
}

export function verifyDraft(input: GreedyVerifyInput | SampledVerifyInput): VerifyResult {
  const k = input.draftTokens.length;
  const positions = input.mode === "greedy" ? input.targetTokens.length : input.targetDists.length;
  if (positions !== k + 1) {
    throw new RangeError(`target must score K+1 = ${k + 1} positions, got ${positions}`);
  }
  if (input.mode === "sampled" && input.draftDists.length !== k) {
    throw new RangeError(`need one draft distribution per draft token: ${k}, got ${input.draftDists.length}`);
  }
  return input.mode === "greedy" ? verifyGreedy(input) : verifySampled(input);
}

function verifyGreedy(input: GreedyVerifyInput): VerifyResult {
  const tokens: number[] = [];
  for (const [i, draft] of input.draftTokens.entries()) {
    const target = input.targetTokens[i]!;
    if (draft !== target) return { nAccepted: i, tokens: [...tokens, target], bonus: false };
    tokens.push(draft);
  }
  return { nAccepted: tokens.length, tokens: [...tokens, input.targetTokens.at(-1)!], bonus: true };
}

function verifySampled(input: SampledVerifyInput): VerifyResult {
  const tokens: number[] = [];
  for (const [i, draft] of input.draftTokens.entries()) {
    const p = input.targetDists[i]!;
    const q = input.draftDists[i]!;
    // One uniform per examined position, always drawn, so the stream advances the same way whatever
    // the outcome and a seeded run replays exactly.
    const u = input.prng.next();
    if (u < acceptProbability(p.get(draft) ?? 0, q.get(draft) ?? 0)) {
      tokens.push(draft);
      continue;
    }
    const correction = sampleToken(residualDistribution(p, q), input.prng.next());
    return { nAccepted: i, tokens: [...tokens, correction], bonus: false };
  }
  const bonus = sampleToken(input.targetDists.at(-1)!, input.prng.next());
  return { nAccepted: tokens.length, tokens: [...tokens, bonus], bonus: true };
}
