// GET /metrics (REFERENCE.md §8.4): Prometheus text. Counters are cumulative since server start;
// the two *_tokens_seconds gauges are per-slot rates averaged since the previous scrape, so
// aggregate throughput comes from counter deltas over wall time, not from the gauges.

import { dropUndefined } from "./drop-undefined.js";
import { listMissing } from "./list-missing.js";
import type { ParseResult } from "./parse-result.js";
import { readNumber } from "./read-number.js";

export interface ServerMetricsSnapshot {
  promptTokensTotal?: number;
  promptTokensCachedTotal?: number;
  promptSecondsTotal?: number;
  tokensPredictedTotal?: number;
  tokensPredictedSecondsTotal?: number;
  nDecodeTotal?: number;
  nTokensMax?: number;
  /** Draft tokens generated, accepted, and verification steps, since start. */
  specDraftTokensTotal?: number;
  specAcceptedTokensTotal?: number;
  specDraftsTotal?: number;
  /** Accepted tokens per draft position, index = position. */
  specAcceptedByPositionTotal?: number[];
  promptTokensSeconds?: number;
  predictedTokensSeconds?: number;
  requestsProcessing?: number;
  requestsDeferred?: number;
  nBusySlotsPerDecode?: number;
  /** Every sample as `name{labels}` → value, for series this type does not name. */
  samples: Record<string, number>;
}

const NAMES: [string, keyof ServerMetricsSnapshot][] = [
  ["prompt_tokens_total", "promptTokensTotal"],
  ["prompt_tokens_cached_total", "promptTokensCachedTotal"],
  ["prompt_seconds_total", "promptSecondsTotal"],
  ["tokens_predicted_total", "tokensPredictedTotal"],
  ["tokens_predicted_seconds_total", "tokensPredictedSecondsTotal"],
  ["n_decode_total", "nDecodeTotal"],
  ["n_tokens_max", "nTokensMax"],
  ["spec_decode_num_draft_tokens_total", "specDraftTokensTotal"],
  ["spec_decode_num_accepted_tokens_total", "specAcceptedTokensTotal"],
  ["spec_decode_num_drafts_total", "specDraftsTotal"],
  ["prompt_tokens_seconds", "promptTokensSeconds"],
  ["predicted_tokens_seconds", "predictedTokensSeconds"],
  ["requests_processing", "requestsProcessing"],
  ["requests_deferred", "requestsDeferred"],
  ["n_busy_slots_per_decode", "nBusySlotsPerDecode"],
];
const REQUIRED = ["promptTokensTotal", "tokensPredictedTotal", "tokensPredictedSecondsTotal"] as const;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(?:\s+\d+)?$/;
const PER_POSITION = "llamacpp:spec_decode_num_accepted_tokens_per_pos_total";

/** Parse llama-server /metrics Prometheus text. */
export function parseServerMetrics(text: string): ParseResult<ServerMetricsSnapshot> {
  const samples: Record<string, number> = {};
  // keyed by position: a hostile `position="4000000000"` must not allocate a 4-billion-slot array
  const byPosition = new Map<number, number>();
  for (const raw of text.replace(/\r\n?/g, "\n").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, name = "", labels = "", valueText] = match;
    const value = readNumber(valueText);
    if (value === undefined) continue;
    samples[`${name}${labels}`] = value;
    const position = /position="(\d+)"/.exec(labels);
    if (name === PER_POSITION && position) byPosition.set(Number(position[1]), value);
  }
  const metrics: ServerMetricsSnapshot = { samples };
  for (const [short, key] of NAMES) {
    const value = samples[`llamacpp:${short}`];
    if (value !== undefined) (metrics as unknown as Record<string, number>)[key] = value;
  }
  // a hole means a position was not reported: do not fill it with 0
  const positions = Array.from({ length: byPosition.size }, (_, i) => byPosition.get(i));
  if (positions.length > 0 && positions.every((v) => v !== undefined))
    metrics.specAcceptedByPositionTotal = positions;
  dropUndefined(metrics);
  return { metrics, truncated: false, missing: listMissing(metrics, REQUIRED), errors: [] };
}

/** What a cell's speculation did on the server: counter deltas between two /metrics scrapes. */
export interface SpecCountersDelta {
  /** Drafts proposed (verification steps that carried one), draft tokens, accepted tokens. */
  nDrafts: number;
  nDrafted: number;
  nAccept: number;
  /** Accepted tokens per draft position, positions the server reports, trailing zeros kept. */
  acceptedByPosition: number[];
}

/**
 * The speculative counters' change from `before` to `after` (both cumulative since the server started).
 * Undefined when either scrape lacks a counter, or a counter went down (the server restarted between them).
 */
export function specCountersDelta(
  before: ServerMetricsSnapshot,
  after: ServerMetricsSnapshot,
): SpecCountersDelta | undefined {
  const diff = (a?: number, b?: number): number | undefined =>
    a === undefined || b === undefined || b < a ? undefined : b - a;
  const nDrafts = diff(before.specDraftsTotal, after.specDraftsTotal);
  const nDrafted = diff(before.specDraftTokensTotal, after.specDraftTokensTotal);
  const nAccept = diff(before.specAcceptedTokensTotal, after.specAcceptedTokensTotal);
  if (nDrafts === undefined || nDrafted === undefined || nAccept === undefined) return undefined;
  const pa = before.specAcceptedByPositionTotal ?? [];
  const pb = after.specAcceptedByPositionTotal ?? [];
  const acceptedByPosition: number[] = [];
  for (let i = 0; i < pb.length; i++) {
    const d = diff(pa[i] ?? 0, pb[i]);
    if (d === undefined) return undefined;
    acceptedByPosition.push(d);
  }
  return { nDrafts, nDrafted, nAccept, acceptedByPosition };
}
