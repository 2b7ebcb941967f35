// A cell as /completion requests. Single cells send one request; parallel cells keep `concurrency`
// requests in flight on a server with that many slots and compute aggregate throughput themselves from
// the responses and the batch's wall time, since the server reports only per-slot rates (§8.7, §14.14).
import type { Cell } from "../../../core/cell.js";
import { DEFAULT_SPEC_TYPE, specTypeTraits } from "../../../core/spec-types.js";
import {
  acceptRate,
  acceptRateByPosition,
  tokensSha256,
  type CellMetrics,
  type CellOutcome,
} from "../../../core/metrics.js";
import {
  parseServerCompletion,
  type ServerCompletionMetrics,
} from "../../../core/parsers/parse-server-completion.js";
import {
  parseServerMetrics,
  type ServerMetricsSnapshot,
  type SpecCountersDelta,
} from "../../../core/parsers/parse-server-metrics.js";

export interface ServerCellContext {
  baseUrl: string;
  /** Request limit; past it the cell fails with reason timeout. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Whether the cell runs on a server started with a draft. */
  speculative: boolean;
  /** Draft settings sent with each request, for builds that honour them (one server drafting every K). */
  perRequest?: { nMax: number; pMin: number };
}

export type ServerCellResult =
  | { kind: "ok"; responses: ServerCompletionMetrics[]; wallMs: number }
  | { kind: "failed"; reason: "timeout" | "cancelled" | "error"; message: string };

const TEXT_LIMIT = 4096;

async function complete(
  ctx: ServerCellContext,
  cell: Cell,
  seed: number,
  signal: AbortSignal,
): Promise<ServerCompletionMetrics> {
  const res = await fetch(`${ctx.baseUrl}/completion`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      prompt: cell.prompt,
      n_predict: cell.nPredict,
      temperature: cell.temperature,
      seed,
      // A cached prompt would make later cells of a sweep faster than earlier ones.
      cache_prompt: false,
      return_tokens: true,
      ...(ctx.perRequest === undefined
        ? {}
        : {
            "speculative.n_max": ctx.perRequest.nMax,
            "speculative.n_min": 0,
            "speculative.p_min": ctx.perRequest.pMin,
          }),
    }),
    signal,
  });
  const body: unknown = await res.json();
  const parsed = parseServerCompletion(body);
  if (res.status !== 200 || parsed.errors.length > 0) {
    throw new Error(
      `/completion answered HTTP ${res.status}: ${parsed.errors[0]?.message ?? JSON.stringify(body).slice(0, 300)}`,
    );
  }
  return parsed.metrics;
}

export async function sendServerCell(ctx: ServerCellContext, cell: Cell): Promise<ServerCellResult> {
  const timeout = AbortSignal.timeout(ctx.timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  const total = cell.kind === "parallel" ? (cell.requests ?? cell.concurrency ?? 1) : 1;
  const inFlight = cell.kind === "parallel" ? Math.min(cell.concurrency ?? 1, total) : 1;
  const responses: ServerCompletionMetrics[] = [];
  let next = 0;
  const started = performance.now();
  try {
    const worker = async (): Promise<void> => {
      while (next < total) {
        const i = next++;
        // Distinct seeds per parallel request, so sampled sequences differ as real clients' would.
        responses[i] = await complete(ctx, cell, cell.seed + i, signal);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, () => worker()));
  } catch (err) {
    if (ctx.signal?.aborted) return { kind: "failed", reason: "cancelled", message: "cell cancelled" };
    if (timeout.aborted) {
      return {
        kind: "failed",
        reason: "timeout",
        message: `llama-server did not answer within ${ctx.timeoutMs} ms`,
      };
    }
    return { kind: "failed", reason: "error", message: (err as Error).message };
  }
  return { kind: "ok", responses, wallMs: performance.now() - started };
}

/** Turn the responses into one outcome; marks the cell invalid when it must not be counted. */
export function serverCellOutcome(
  cell: Cell,
  result: { responses: ServerCompletionMetrics[]; wallMs: number },
  speculative: boolean,
): CellOutcome {
  const rs = result.responses;
  const sum = (f: (r: ServerCompletionMetrics) => number | undefined): number | undefined =>
    rs.every((r) => f(r) !== undefined) ? rs.reduce((a, r) => a + (f(r) as number), 0) : undefined;
  const first = rs[0] as ServerCompletionMetrics;
  const nDecoded = sum((r) => r.nDecoded) ?? 0;
  let metrics: CellMetrics;
  if (cell.kind === "parallel") {
    const aggregateTps = nDecoded / (result.wallMs / 1000);
    metrics = {
      nDecoded,
      decodeMs: result.wallMs,
      decodeTps: aggregateTps,
      aggregateTps,
      perSequenceTps: rs.flatMap((r) => (r.decodeTps === undefined ? [] : [r.decodeTps])),
      wallMs: result.wallMs,
    };
  } else {
    metrics = {
      nDecoded,
      decodeMs: first.decodeMs ?? 0,
      decodeTps: first.decodeTps ?? 0,
      wallMs: result.wallMs,
    };
    if (first.nPrompt !== undefined) metrics.nPrompt = first.nPrompt;
    if (first.promptMs !== undefined) metrics.promptMs = first.promptMs;
    if (first.promptTps !== undefined) metrics.promptTps = first.promptTps;
    if (first.tokens) metrics.tokensSha256 = tokensSha256(first.tokens);
    if (first.text !== undefined) metrics.text = first.text.slice(0, TEXT_LIMIT);
  }
  const nDrafted = sum((r) => r.nDrafted ?? 0);
  const nAccept = sum((r) => r.nAccept ?? 0);
  if (speculative && nDrafted !== undefined && nAccept !== undefined) {
    metrics.nDrafted = nDrafted;
    metrics.nAccept = nAccept;
    const rate = acceptRate(nAccept, nDrafted);
    if (rate !== undefined) metrics.acceptRate = rate;
  }
  const missing = rs.some((r) => r.nDecoded === undefined || r.decodeTps === undefined);
  if (missing) {
    return {
      status: "failed",
      invalidReason: "error",
      message: "llama-server response has no timings (predicted_n / predicted_per_second)",
      metrics,
    };
  }
  // n-gram types draft only where the text repeats: none drafted is what they measured, not a failure
  // to engage (the session checks /slots at start for that)
  const mustDraft = speculative && specTypeTraits(cell.specType ?? DEFAULT_SPEC_TYPE).usesK;
  if (mustDraft && !(nDrafted && nDrafted > 0)) {
    return {
      status: "invalid",
      invalidReason: "speculation-not-engaged",
      message:
        "llama-server drafted 0 tokens for this cell (no draft_n in the response timings): speculation did not engage",
      metrics,
    };
  }
  const short = rs.find((r) => r.stoppedEarly === true || (r.nDecoded ?? 0) < cell.nPredict);
  if (short) {
    return {
      status: "invalid",
      invalidReason: "stopped-early",
      message: `a request generated ${short.nDecoded ?? 0} of ${cell.nPredict} tokens (stop: ${short.stopType ?? "unknown"})`,
      metrics,
    };
  }
  return { status: "ok", metrics };
}

/**
 * Mean draft tokens per verification step, from a cell's counts: each request's first token comes from its
 * prompt pass, and every later step yields its accepted draft tokens plus one, so steps = decoded - requests
 * - accepted. A server that drafts at most K per step never averages above K. Undefined without counts.
 */
export function draftedPerStep(m: CellMetrics, requests: number): number | undefined {
  if (m.nDrafted === undefined || m.nAccept === undefined) return undefined;
  const steps = m.nDecoded - requests - m.nAccept;
  // one step of slack: a build whose first token is a step of its own has one step more than counted here
  return steps > 0 ? m.nDrafted / (steps + requests) : undefined;
}

/**
 * The server's /metrics (it runs with --metrics), or undefined where it cannot be read: a build without
 * the endpoint answers 501, and a cell's figures never depend on it.
 */
export async function scrapeServerMetrics(
  baseUrl: string,
  signal?: AbortSignal,
): Promise<ServerMetricsSnapshot | undefined> {
  try {
    const res = await fetch(`${baseUrl}/metrics`, {
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000),
    });
    if (res.status !== 200) return undefined;
    const parsed = parseServerMetrics(await res.text());
    return parsed.metrics.specDraftsTotal === undefined ? undefined : parsed.metrics;
  } catch {
    return undefined;
  }
}

/**
 * Adds a cell's /metrics counter deltas to its metrics: drafts, accepted by position (counts), and the
 * per-position rates where every draft had the full K (then each position was drafted once per draft).
 * Draft and accept counts come from the responses' timings where present; the deltas fill them otherwise.
 */
export function addSpecCounters(m: CellMetrics, delta: SpecCountersDelta, k: number | undefined): void {
  m.nDrafts = delta.nDrafts;
  m.acceptedByPosition = delta.acceptedByPosition;
  if (m.nDrafted === undefined || m.nAccept === undefined) {
    m.nDrafted = delta.nDrafted;
    m.nAccept = delta.nAccept;
    const rate = acceptRate(delta.nAccept, delta.nDrafted);
    if (rate !== undefined) m.acceptRate = rate;
  }
  if (k === undefined || delta.nDrafts === 0 || delta.nDrafted !== delta.nDrafts * k) return;
  if (delta.acceptedByPosition.length < k) return;
  // every position up to K was drafted once per draft
  m.acceptByPosition = acceptRateByPosition(
    delta.acceptedByPosition.slice(0, k),
    Array.from({ length: k }, () => delta.nDrafts),
  );
}
