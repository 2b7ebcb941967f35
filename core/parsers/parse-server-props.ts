// GET /props (REFERENCE.md §8.4): build and model identity, slot count and per-slot context.
// `default_generation_settings.params["speculative.types"]` reads "none" even on a speculative
// server, so speculation is confirmed from /slots or the timings, never from here.

import { dropUndefined } from "./drop-undefined.js";
import { listMissing } from "./list-missing.js";
import type { ParseResult } from "./parse-result.js";
import { finiteNumber, readNumber } from "./read-number.js";
import { isRecord, readJson } from "./read-json.js";
import { serverErrorOf } from "./server-error.js";

export interface ServerPropsMetrics {
  /** e.g. `b10587-3f545becc`. */
  buildInfo?: string;
  buildNumber?: number;
  buildCommit?: string;
  modelPath?: string;
  modelAlias?: string;
  modelFtype?: string;
  totalSlots?: number;
  /** Context per slot (`default_generation_settings.n_ctx`). */
  nCtxPerSlot?: number;
  defaultSpeculativeTypes?: string;
  endpointSlots?: boolean;
  endpointMetrics?: boolean;
  isSleeping?: boolean;
  hasChatTemplate?: boolean;
}

const REQUIRED = ["buildInfo", "modelPath", "totalSlots", "nCtxPerSlot"] as const;

/** Parse a llama-server /props response (object or JSON text). */
export function parseServerProps(json: unknown): ParseResult<ServerPropsMetrics> {
  const read = readJson(json);
  if (!read.ok) {
    return {
      metrics: {},
      truncated: true,
      missing: [...REQUIRED],
      errors: [
        { kind: "other", message: `/props is not complete JSON: ${read.reason}`, excerpt: read.excerpt },
      ],
    };
  }
  const root = isRecord(read.value) ? read.value : {};
  const settings = isRecord(root.default_generation_settings) ? root.default_generation_settings : {};
  const params = isRecord(settings.params) ? settings.params : {};
  const buildInfo = typeof root.build_info === "string" ? root.build_info : undefined;
  const build = buildInfo === undefined ? undefined : /^b(\d+)-([0-9a-f]+)$/.exec(buildInfo);
  const metrics: ServerPropsMetrics = dropUndefined({
    buildInfo,
    buildNumber: readNumber(build?.[1]),
    buildCommit: build?.[2],
    modelPath: stringOf(root.model_path),
    modelAlias: stringOf(root.model_alias),
    modelFtype: stringOf(root.model_ftype),
    totalSlots: finiteNumber(root.total_slots),
    nCtxPerSlot: finiteNumber(settings.n_ctx),
    defaultSpeculativeTypes: stringOf(params["speculative.types"]),
    endpointSlots: boolOf(root.endpoint_slots),
    endpointMetrics: boolOf(root.endpoint_metrics),
    isSleeping: boolOf(root.is_sleeping),
    hasChatTemplate: typeof root.chat_template === "string" ? root.chat_template !== "" : undefined,
  });
  return {
    metrics,
    truncated: false,
    missing: listMissing(metrics, REQUIRED),
    errors: serverErrorOf(root, "/props"),
  };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function boolOf(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}
