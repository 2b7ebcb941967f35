// GET /slots (REFERENCE.md §8.4, §8.6): `speculative` per slot is the one reliable sign that the
// server really drafts; a missing --spec-type or an incompatible draft leaves it false while the
// server serves normally. With --no-slots the endpoint answers 501 with an error body.

import { dropUndefined } from "./drop-undefined.js";
import type { DetectedError, ParseResult } from "./parse-result.js";
import { finiteNumber } from "./read-number.js";
import { isRecord, readJson } from "./read-json.js";
import { serverErrorOf } from "./server-error.js";

export interface ServerSlot {
  id: number;
  nCtx?: number;
  /** Speculation is active for this slot. */
  speculative?: boolean;
  isProcessing?: boolean;
  idTask?: number;
  /** `params["speculative.types"]` of the slot's last task, e.g. `none,draft-simple`. */
  speculativeTypes?: string;
  /** Per-request draft settings, reported by older builds that still honoured them. */
  nDraftMax?: number;
  nDraftMin?: number;
  draftPMin?: number;
  nPredict?: number;
  /** `next_token[0].n_decoded`: tokens decoded so far by the running task. */
  nDecoded?: number;
  nRemain?: number;
}

export interface ServerSlotsMetrics {
  slots: ServerSlot[];
  /** Every slot reports speculative: true (false when there are no slots). */
  speculationEngaged: boolean;
  busySlots: number;
}

/** Parse a llama-server /slots response (array, or JSON text). */
export function parseServerSlots(json: unknown): ParseResult<ServerSlotsMetrics> {
  const read = readJson(json);
  const empty: ServerSlotsMetrics = { slots: [], speculationEngaged: false, busySlots: 0 };
  if (!read.ok) {
    return {
      metrics: empty,
      truncated: true,
      missing: ["slots"],
      errors: [
        { kind: "other", message: `/slots is not complete JSON: ${read.reason}`, excerpt: read.excerpt },
      ],
    };
  }
  if (!Array.isArray(read.value)) {
    const refused = serverErrorOf(read.value, "/slots");
    const errors: DetectedError[] =
      refused.length > 0
        ? refused
        : [
            {
              kind: "other",
              message: "/slots did not return an array",
              excerpt: JSON.stringify(read.value).slice(0, 200),
            },
          ];
    return { metrics: empty, truncated: false, missing: ["slots"], errors };
  }
  const slots = read.value.filter(isRecord).map(toSlot);
  const metrics: ServerSlotsMetrics = {
    slots,
    speculationEngaged: slots.length > 0 && slots.every((s) => s.speculative === true),
    busySlots: slots.filter((s) => s.isProcessing === true).length,
  };
  return { metrics, truncated: false, missing: slots.length === 0 ? ["slots"] : [], errors: [] };
}

function toSlot(raw: Record<string, unknown>, index: number): ServerSlot {
  const params = isRecord(raw.params) ? raw.params : {};
  const next = Array.isArray(raw.next_token) && isRecord(raw.next_token[0]) ? raw.next_token[0] : {};
  return dropUndefined({
    id: finiteNumber(raw.id) ?? index,
    nCtx: finiteNumber(raw.n_ctx),
    speculative: typeof raw.speculative === "boolean" ? raw.speculative : undefined,
    isProcessing: typeof raw.is_processing === "boolean" ? raw.is_processing : undefined,
    idTask: finiteNumber(raw.id_task),
    speculativeTypes:
      typeof params["speculative.types"] === "string" ? params["speculative.types"] : undefined,
    nDraftMax: finiteNumber(params["speculative.n_max"]),
    nDraftMin: finiteNumber(params["speculative.n_min"]),
    draftPMin: finiteNumber(params["speculative.p_min"]),
    nPredict: finiteNumber(params.n_predict),
    nDecoded: finiteNumber(next.n_decoded),
    nRemain: finiteNumber(next.n_remain),
  });
}
