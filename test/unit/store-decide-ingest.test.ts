import { describe, expect, it } from "vitest";

import { decideIngest, type ResultVersion } from "../../cli/store/decide-ingest.js";

const v = (
  status: ResultVersion["status"],
  attempt: number,
  finishedAt = "2026-11-01T00:00:00Z",
): ResultVersion => ({
  status,
  attempt,
  finishedAt,
});

describe("decideIngest", () => {
  it.each([
    ["same result redelivered", v("ok", 1), v("ok", 1), "duplicate"],
    ["failed retry after a valid result", v("ok", 1), v("failed", 2), "duplicate"],
    ["invalid retry after a valid result", v("ok", 1), v("invalid", 2), "duplicate"],
    ["valid retry after a failure", v("failed", 1), v("ok", 2), "replace"],
    ["valid result arriving after its own failed retry", v("failed", 2), v("ok", 1), "replace"],
    ["later attempt, same status", v("ok", 1), v("ok", 2), "replace"],
    ["older attempt, same status", v("ok", 2), v("ok", 1), "duplicate"],
    ["same attempt, finished later", v("invalid", 1), v("invalid", 1, "2026-11-01T00:00:05Z"), "replace"],
    ["same attempt, finished earlier", v("invalid", 1, "2026-11-01T00:00:05Z"), v("invalid", 1), "duplicate"],
    ["invalid beats failed", v("failed", 3), v("invalid", 1), "replace"],
  ] as const)("%s", (_name, stored, incoming, expected) => {
    expect(decideIngest(stored, incoming)).toBe(expected);
  });
});
