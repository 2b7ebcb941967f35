// GenerationRecords → CellMetrics (core/metrics.ts), and the validity verdict of DESIGN.md.
import {
  acceptRate,
  acceptRateByPosition,
  tokensPerStep,
  tokensSha256,
  type CellMetrics,
  type CellOutcome,
  type InvalidReason,
} from "../../../core/metrics.js";
import { dropUndefined } from "../../../core/parsers/drop-undefined.js";
import type { ParallelRecord } from "./generate-parallel.js";
import type { GenerationRecord } from "./generation-record.js";

/** Generated text kept in a result. */
const MAX_TEXT_CHARS = 4096;

export interface MetricsContext {
  nPredict: number;
  loadMs: number;
  loadId: string;
  wallMs: number;
  memoryMib?: number;
  peakVramMib?: number;
  detokenize(tokens: readonly number[]): string;
}

/** One generation (baseline or speculative cell). */
export function toCellMetrics(record: GenerationRecord, ctx: MetricsContext): CellMetrics {
  const nDecoded = record.tokens.length;
  const metrics: CellMetrics = dropUndefined({
    nDecoded,
    decodeMs: record.decodeMs,
    decodeTps: perSecond(nDecoded, record.decodeMs),
    nPrompt: record.nPrompt,
    promptMs: record.promptMs,
    ...(record.nPrompt > 1 && record.promptMs > 0
      ? { promptTps: perSecond(record.nPrompt - 1, record.promptMs) }
      : {}),
    targetSteps: record.targetSteps,
    tokensPerStep: tokensPerStep(nDecoded, record.targetSteps),
    targetMs: record.targetMs,
    draftMs: record.draftMs,
    loadMs: ctx.loadMs,
    loadId: ctx.loadId,
    wallMs: ctx.wallMs,
    tokensSha256: tokensSha256(record.tokens),
    text: ctx.detokenize(record.tokens).slice(0, MAX_TEXT_CHARS),
  });
  if (ctx.memoryMib !== undefined) metrics.memoryMib = ctx.memoryMib;
  if (ctx.peakVramMib !== undefined) metrics.peakVramMib = ctx.peakVramMib;
  const spec = record.speculative;
  if (spec) {
    metrics.nDrafted = spec.nDrafted;
    metrics.nAccept = spec.nAccept;
    const rate = acceptRate(spec.nAccept, spec.nDrafted);
    if (rate !== undefined) metrics.acceptRate = rate;
    metrics.acceptByPosition = acceptRateByPosition(spec.acceptedByPosition, spec.draftedByPosition);
    metrics.meanK = spec.meanK;
  }
  return metrics;
}

/**
 * Parallel cell: counts summed over requests; decode time is the wall time of the whole phase, so
 * decodeTps is the aggregate throughput; perSequenceTps is each request's own tokens over its own decode
 * time (its prefill excluded).
 */
export function toParallelMetrics(parallel: ParallelRecord, ctx: MetricsContext): CellMetrics {
  const { records, phaseMs } = parallel;
  const sum = (f: (r: GenerationRecord) => number): number => records.reduce((acc, r) => acc + f(r), 0);
  const specs = records.flatMap((r) => (r.speculative ? [r.speculative] : []));
  const kMax = Math.max(0, ...specs.map((s) => s.draftedByPosition.length));
  const byPosition = (pick: (s: (typeof specs)[number]) => number[]): number[] =>
    Array.from({ length: kMax }, (_, i) => specs.reduce((acc, s) => acc + (pick(s)[i] ?? 0), 0));
  const merged: GenerationRecord = {
    tokens: records.flatMap((r) => r.tokens),
    stopReason: "n-predict",
    nPrompt: sum((r) => r.nPrompt),
    promptMs: sum((r) => r.promptMs),
    decodeMs: phaseMs,
    targetSteps: sum((r) => r.targetSteps),
    targetMs: sum((r) => r.targetMs),
    draftMs: sum((r) => r.draftMs),
    ...(specs.length === 0
      ? {}
      : {
          speculative: {
            nDrafted: specs.reduce((acc, s) => acc + s.nDrafted, 0),
            nAccept: specs.reduce((acc, s) => acc + s.nAccept, 0),
            draftedByPosition: byPosition((s) => s.draftedByPosition),
            acceptedByPosition: byPosition((s) => s.acceptedByPosition),
            meanK: specs.reduce((acc, s) => acc + s.meanK, 0) / specs.length,
          },
        }),
  };
  const metrics = toCellMetrics(merged, ctx);
  metrics.aggregateTps = metrics.decodeTps;
  metrics.perSequenceTps = records.map((r) => perSecond(r.tokens.length, r.decodeMs));
  // Per-request texts would not fit a result; keep the first request's.
  metrics.text = ctx.detokenize(records[0]?.tokens ?? []).slice(0, MAX_TEXT_CHARS);
  return metrics;
}

/** The outcome of a cell from its records: invalid when any generation fell short or never speculated. */
export function toCellOutcome(
  records: readonly GenerationRecord[],
  metrics: CellMetrics,
  opts: { nPredict: number; speculative: boolean; backend: string },
): CellOutcome {
  const short = records.find((r) => r.stopReason !== "n-predict" || r.tokens.length < opts.nPredict);
  let invalidReason: InvalidReason | undefined;
  let message: string | undefined;
  if (short?.stopReason === "cancelled") {
    return {
      status: "failed",
      invalidReason: "cancelled",
      message: "cancelled",
      metrics,
      backend: opts.backend,
    };
  } else if (short) {
    invalidReason = "stopped-early";
    message = `generated ${short.tokens.length} of ${opts.nPredict} tokens (${short.stopReason})`;
  } else if (opts.speculative && (metrics.nDrafted ?? 0) === 0) {
    invalidReason = "speculation-not-engaged";
    message = "no draft tokens were proposed";
  }
  return invalidReason === undefined
    ? { status: "ok", metrics, backend: opts.backend }
    : { status: "invalid", invalidReason, message, metrics, backend: opts.backend };
}

function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}
