// A llama-server cell's speculation counts come from /metrics before and after it (the counters are
// cumulative since the server started): drafts, drafted, accepted and accepted-by-position.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { addSpecCounters } from "../../agents/engines/llama-server/run-server-cell.js";
import type { CellMetrics } from "../../core/metrics.js";
import { parseServerMetrics, specCountersDelta } from "../../core/parsers/parse-server-metrics.js";

const fixture = (file: string) =>
  parseServerMetrics(
    readFileSync(path.resolve(import.meta.dirname, "../fixtures/llama-cpp/server", file), "utf8"),
  ).metrics;

const counters = (drafts: number, drafted: number, accepted: number, byPos: number[]) =>
  parseServerMetrics(
    [
      `llamacpp:spec_decode_num_draft_tokens_total ${drafted}`,
      `llamacpp:spec_decode_num_accepted_tokens_total ${accepted}`,
      `llamacpp:spec_decode_num_drafts_total ${drafts}`,
      ...byPos.map((v, i) => `llamacpp:spec_decode_num_accepted_tokens_per_pos_total{position="${i}"} ${v}`),
    ].join("\n"),
  ).metrics;

describe("specCountersDelta", () => {
  it("a fresh server (no per-position series yet) to the recorded K=4 server: the recorded counts", () => {
    const d = specCountersDelta(counters(0, 0, 0, []), fixture("spec-n0-np1-metrics.txt"))!;
    expect(d).toEqual({ nDrafts: 34, nDrafted: 132, nAccept: 92, acceptedByPosition: [28, 26, 21, 17] });
  });

  it("the change across one cell, position by position", () => {
    const d = specCountersDelta(counters(10, 40, 20, [8, 6, 4, 2]), counters(30, 120, 50, [25, 14, 8, 3]));
    expect(d).toEqual({ nDrafts: 20, nDrafted: 80, nAccept: 30, acceptedByPosition: [17, 8, 4, 1] });
  });

  it("nothing when a counter is missing or went down (the server restarted between the scrapes)", () => {
    expect(
      specCountersDelta(parseServerMetrics("llamacpp:prompt_tokens_total 5").metrics, counters(1, 4, 1, [1])),
    ).toBeUndefined();
    expect(specCountersDelta(counters(10, 40, 20, [8]), counters(5, 20, 10, [4]))).toBeUndefined();
  });
});

describe("addSpecCounters", () => {
  const base = (): CellMetrics => ({ nDecoded: 48, decodeMs: 100, decodeTps: 470, wallMs: 130 });

  it("stores drafts and accepted-by-position, and per-position rates when every draft had K tokens", () => {
    const m = { ...base(), nDrafted: 40, nAccept: 30, acceptRate: 0.75 };
    addSpecCounters(m, { nDrafts: 10, nDrafted: 40, nAccept: 30, acceptedByPosition: [10, 9, 7, 4] }, 4);
    expect(m).toMatchObject({ nDrafts: 10, acceptedByPosition: [10, 9, 7, 4], nDrafted: 40, nAccept: 30 });
    expect(m.acceptByPosition).toEqual([1, 0.9, 0.7, 0.4]);
  });

  it("no rates for short drafts or a method without K; counts fill in where the timings had none", () => {
    const short = base();
    addSpecCounters(
      short,
      { nDrafts: 10, nDrafted: 39, nAccept: 37, acceptedByPosition: [10, 10, 10, 7] },
      4,
    );
    expect(short.acceptByPosition).toBeUndefined();
    expect(short).toMatchObject({ nDrafts: 10, nDrafted: 39, nAccept: 37 });
    expect(short.acceptRate).toBeCloseTo(37 / 39, 12);
    const ngram = base();
    addSpecCounters(
      ngram,
      { nDrafts: 2, nDrafted: 16, nAccept: 1, acceptedByPosition: [1, 0, 0] },
      undefined,
    );
    expect(ngram.acceptByPosition).toBeUndefined();
    expect(ngram.nDrafts).toBe(2);
  });
});
