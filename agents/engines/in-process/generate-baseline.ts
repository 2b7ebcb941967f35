// Target alone. llama.cpp samples (greedy at temperature 0, else top-k → temperature → seeded draw), so
// the baseline pays no probability-map cost: it is the speed a user gets without speculation.
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { GenerationOptions, GenerationRecord, StopReason } from "./generation-record.js";

export async function generateBaseline(
  seq: LlamaContextSequence,
  prompt: readonly Token[],
  opts: GenerationOptions,
): Promise<GenerationRecord> {
  await seq.clearHistory();
  const promptStart = performance.now();
  // All prompt tokens but the last are prefill; the last one's forward pass yields the first generated
  // token, so it belongs to decode, as every later forward pass does.
  if (prompt.length > 1) await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1));
  const promptMs = performance.now() - promptStart;

  const tokens: number[] = [];
  let stopReason: StopReason = "n-predict";
  const room = seq.contextSize - prompt.length;
  const decodeStart = performance.now();
  if (opts.signal?.aborted) stopReason = "cancelled";
  else {
    const sampling =
      opts.temperature === 0
        ? { temperature: 0 }
        : { temperature: opts.temperature, topK: opts.topK, topP: 1, minP: 0, seed: opts.seed };
    const iterator = seq.evaluate(prompt.slice(-1), { ...sampling, yieldEogToken: true });
    for await (const token of iterator) {
      if (seq.model.isEogToken(token)) {
        stopReason = "eog";
        break;
      }
      tokens.push(token);
      if (tokens.length >= opts.nPredict) break;
      if (tokens.length >= room) {
        stopReason = "context-full";
        break;
      }
      if (opts.signal?.aborted) {
        stopReason = "cancelled";
        break;
      }
    }
    // The iterator only ends by itself when the sequence cannot take another token.
    if (tokens.length < opts.nPredict && stopReason === "n-predict") stopReason = "context-full";
  }
  const decodeMs = performance.now() - decodeStart;
  return {
    tokens,
    stopReason,
    nPrompt: prompt.length,
    promptMs,
    decodeMs,
    targetSteps: tokens.length,
    targetMs: decodeMs,
    draftMs: 0,
  };
}
