// llama-server /completion (and OpenAI /v1/completions, /v1/chat/completions, final SSE event)
// responses carry a `timings` object (REFERENCE.md §8.3). `draft_n`/`draft_n_accepted` are present
// only when something was drafted: their absence is how a silently non-speculative server shows.

import { acceptRate } from "../metrics.js";
import { dropUndefined } from "./drop-undefined.js";
import { listMissing } from "./list-missing.js";
import type { ParseResult } from "./parse-result.js";
import { finiteNumber } from "./read-number.js";
import { isRecord, readJson } from "./read-json.js";
import { serverErrorOf } from "./server-error.js";

export interface ServerCompletionMetrics {
  /** `predicted_n`: generated tokens. */
  nDecoded?: number;
  /** `predicted_ms`: end of prompt processing to the last token. */
  decodeMs?: number;
  /** `predicted_per_second`: since 2026-08-13 over predicted_n − 1 steps (the first token is free). */
  decodeTps?: number;
  /** `prompt_n`: prompt tokens actually processed (cached ones excluded). */
  nPrompt?: number;
  promptMs?: number;
  promptTps?: number;
  /** `cache_n`: prompt tokens reused from the KV cache. */
  nPromptCached?: number;
  /** `draft_n`: draft tokens generated; absent when nothing was drafted. */
  nDrafted?: number;
  /** `draft_n_accepted`. */
  nAccept?: number;
  /** nAccept / nDrafted. */
  acceptRate?: number;
  /** Whether the response shows drafting happened (draft_n present and > 0). */
  speculationEngaged: boolean;
  /** `stop_type` (native) or `finish_reason` (OpenAI): `limit`/`length`, `eos`/`stop`, `word`. */
  stopType?: string;
  /** Generation ended before n_predict (EOS, stop word): the cell is not comparable. */
  stoppedEarly?: boolean;
  /** The server cut the prompt to fit the context (`truncated` in the response). */
  promptTruncated?: boolean;
  tokensPredicted?: number;
  tokensEvaluated?: number;
  /** Generated token ids when the request asked for them (`return_tokens`). */
  tokens?: number[];
  text?: string;
  model?: string;
  slotId?: number;
}

const REQUIRED = ["nDecoded", "decodeMs", "decodeTps", "nPrompt", "promptMs", "promptTps"] as const;

/** Parse a llama-server completion response (object or JSON/SSE text). */
export function parseServerCompletion(json: unknown): ParseResult<ServerCompletionMetrics> {
  const read = readJson(json);
  if (!read.ok) {
    return {
      metrics: { speculationEngaged: false },
      truncated: true,
      missing: [...REQUIRED],
      errors: [
        { kind: "other", message: `response is not complete JSON: ${read.reason}`, excerpt: read.excerpt },
      ],
    };
  }
  const body = read.value;
  const errors = serverErrorOf(body, "the completion");
  const root = isRecord(body) ? body : {};
  const timings = isRecord(root.timings) ? root.timings : {};
  const choice = Array.isArray(root.choices) && isRecord(root.choices[0]) ? root.choices[0] : undefined;

  const nDrafted = finiteNumber(timings.draft_n);
  const nAccept = finiteNumber(timings.draft_n_accepted);
  const stopType = stringOf(root.stop_type) ?? stringOf(choice?.finish_reason);
  const metrics: ServerCompletionMetrics = dropUndefined({
    nDecoded: finiteNumber(timings.predicted_n),
    decodeMs: finiteNumber(timings.predicted_ms),
    decodeTps: finiteNumber(timings.predicted_per_second),
    nPrompt: finiteNumber(timings.prompt_n),
    promptMs: finiteNumber(timings.prompt_ms),
    promptTps: finiteNumber(timings.prompt_per_second),
    nPromptCached: finiteNumber(timings.cache_n),
    nDrafted,
    nAccept,
    acceptRate: nDrafted === undefined || nAccept === undefined ? undefined : acceptRate(nAccept, nDrafted),
    speculationEngaged: nDrafted !== undefined && nDrafted > 0,
    stopType,
    stoppedEarly: stopType === undefined ? undefined : !(stopType === "limit" || stopType === "length"),
    promptTruncated: typeof root.truncated === "boolean" ? root.truncated : undefined,
    tokensPredicted: finiteNumber(root.tokens_predicted) ?? usageNumber(root, "completion_tokens"),
    tokensEvaluated: finiteNumber(root.tokens_evaluated) ?? usageNumber(root, "prompt_tokens"),
    tokens: tokenIds(root.tokens),
    text: stringOf(root.content) ?? stringOf(choice?.text) ?? messageContent(choice),
    model: stringOf(root.model),
    slotId: finiteNumber(root.id_slot),
  });
  return { metrics, truncated: false, missing: listMissing(metrics, REQUIRED), errors };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function usageNumber(root: Record<string, unknown>, key: string): number | undefined {
  return isRecord(root.usage) ? finiteNumber(root.usage[key]) : undefined;
}

function tokenIds(value: unknown): number[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.every((v): v is number => typeof v === "number" && Number.isFinite(v)) ? value : undefined;
}

function messageContent(choice: Record<string, unknown> | undefined): string | undefined {
  return isRecord(choice?.message) ? stringOf(choice.message.content) : undefined;
}
