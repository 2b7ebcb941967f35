// Parallel cells: N sequences of one context decode together; node-llama-cpp merges their pending tokens
// into one llama_decode per cycle. R requests (default N) are pulled by N workers, one per sequence slot,
// so at most N are in flight. Each request is a full generation (baseline, or speculative with a draft).
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { KPolicy } from "../../../core/cell.js";
import { generateBaseline } from "./generate-baseline.js";
import { generateSpeculative } from "./generate-speculative.js";
import type { GenerationOptions, GenerationRecord } from "./generation-record.js";

export interface ParallelSlot {
  target: LlamaContextSequence;
  /** Present when the parallel cell runs with a draft. */
  draft?: LlamaContextSequence;
}

export interface ParallelOptions extends GenerationOptions {
  requests: number;
  /** With a draft: the K policy of every request. */
  kPolicy?: KPolicy;
}

export interface ParallelRecord {
  /** One record per request, in request order. */
  records: GenerationRecord[];
  /** Wall time from the first request's start to the last one's end (prefill included), ms. */
  phaseMs: number;
}

export async function generateParallel(
  slots: readonly ParallelSlot[],
  prompt: readonly Token[],
  opts: ParallelOptions,
): Promise<ParallelRecord> {
  const records = new Array<GenerationRecord>(opts.requests);
  let nextRequest = 0;
  const worker = async (slot: ParallelSlot): Promise<void> => {
    while (nextRequest < opts.requests) {
      const i = nextRequest++;
      // Distinct seeds per request, so sampled requests are not copies of each other.
      const requestOpts = { ...opts, seed: opts.seed + i };
      records[i] =
        slot.draft && opts.kPolicy
          ? await generateSpeculative(slot.target, slot.draft, prompt, {
              ...requestOpts,
              kPolicy: opts.kPolicy,
            })
          : await generateBaseline(slot.target, prompt, requestOpts);
    }
  };
  const start = performance.now();
  await Promise.all(slots.map(worker));
  return { records, phaseMs: performance.now() - start };
}
