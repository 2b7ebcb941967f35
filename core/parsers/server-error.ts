// llama-server answers failures with `{"error": {"code", "message", "type"}}` (e.g. 501 for a
// disabled endpoint, 400 for a prompt longer than the context).

import type { DetectedError } from "./parse-result.js";
import { isRecord } from "./read-json.js";

/** The error a llama-server response body carries, if any. */
export function serverErrorOf(body: unknown, endpoint: string): DetectedError[] {
  if (!isRecord(body) || !isRecord(body.error)) return [];
  const message = typeof body.error.message === "string" ? body.error.message : JSON.stringify(body.error);
  return [
    {
      kind: "other",
      message: `llama-server refused ${endpoint}: ${message}`,
      excerpt: JSON.stringify(body.error),
    },
  ];
}
