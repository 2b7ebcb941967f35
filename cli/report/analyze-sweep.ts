// Groups a sweep's stored results and computes every figure the report shows: summaries over repeats,
// paired speedups with log-ratio t intervals, the fitted theory per (host, pair, temperature), batching,
// memory and the greedy-equivalence check.
import { modelLoads } from "./model-loads.js";
import { groupBy } from "./group-by.js";
import { kValue, methodOf, pairLabel, type Cell } from "../../core/cell.js";
import { meanAcceptedLength, type CellMetrics } from "../../core/metrics.js";
import { DEFAULT_SPEC_TYPE } from "../../core/spec-types.js";
import { estimatePairMemory } from "../../core/memory/estimate-memory.js";
import { baselinePartner } from "../../core/plan/baseline-partner.js";
import { groupPrecision, isPrecise } from "../../core/plan/precision-round.js";
import { ratioInterval } from "../../core/stats/ratio-interval.js";
import { summarizeContention, type ContentionSummary } from "../../core/stats/summarize-contention.js";
import { summarizeRate } from "../../core/stats/summarize-rate.js";
import { summarize } from "../../core/stats/summarize.js";
import { poolAcceptance } from "../../core/stats/pool-acceptance.js";
import { analyzeTheory } from "./analyze-theory.js";
import type { ModelRecord, StoredResult } from "../store/store-records.js";
import type {
  BaselineGroup,
  GreedyMismatch,
  InvalidEntry,
  MemoryGroup,
  ParallelGroup,
  SpeculativeGroup,
  SweepAnalysis,
} from "./sweep-analysis.js";

type Valid = StoredResult & { cell: Cell; metrics: CellMetrics };

const nums = (xs: Array<number | undefined>): number[] =>
  xs.filter((x): x is number => x !== undefined && Number.isFinite(x));

/** The pair, and the speculation method when it is not plain draft-simple (`t [ngram-mod n-match=24]`). */
const pairName = (cell: Pick<Cell, "kind" | "target" | "draft" | "specType" | "specSettings">): string =>
  pairLabel(cell.target.name, cell.draft?.name, methodOf(cell));

/** The group's host-noise summary, when any of its runs recorded host noise. */
function contentionOf(rs: ReadonlyArray<{ metrics: CellMetrics }>): { contention?: ContentionSummary } {
  const c = summarizeContention(rs.map((r) => r.metrics.noise));
  return c.measured === 0 ? {} : { contention: c };
}

export interface AnalyzeOptions {
  /** The manifest's sweep.precision: groups wider than relCi are marked unstable. */
  precision?: { relCi: number };
}

export function analyzeSweep(
  sweepId: string,
  results: StoredResult[],
  models: ModelRecord[] = [],
  opts: AnalyzeOptions = {},
): SweepAnalysis {
  const invalid: InvalidEntry[] = [];
  const valid: Valid[] = [];
  let withoutCell = 0;
  for (const r of results) {
    if (r.cell === undefined) withoutCell++;
    if (r.status !== "ok") {
      invalid.push({
        hostId: r.hostId,
        cellId: r.cellId,
        kind: r.cell?.kind ?? "unknown",
        status: r.status,
        reason: r.invalidReason ?? r.status,
        ...(r.message === undefined ? {} : { message: r.message }),
      });
    } else if (r.cell !== undefined && r.metrics !== undefined) {
      valid.push(r as Valid);
    }
  }
  const invalidByReason: Record<string, number> = {};
  for (const e of invalid) invalidByReason[e.reason] = (invalidByReason[e.reason] ?? 0) + 1;

  const baselineCells = valid.filter((r) => r.cell.kind === "baseline");
  const specCells = valid.filter((r) => r.cell.kind === "speculative");
  const parallelCells = valid.filter((r) => r.cell.kind === "parallel");

  const baselines: BaselineGroup[] = [];
  const baselineByGroup = new Map<string, Valid[]>();
  for (const [key, rs] of groupBy(baselineCells, (r) =>
    [r.hostId, r.cell.target.name, r.cell.temperature].join("|"),
  )) {
    const first = rs[0]!;
    baselineByGroup.set(key, rs);
    baselines.push({
      hostId: first.hostId,
      target: first.cell.target.name,
      temperature: first.cell.temperature,
      decodeTps: summarizeRate(rs.map((r) => r.metrics.decodeTps)),
      promptTps: summarizeRate(nums(rs.map((r) => r.metrics.promptTps))),
      ...contentionOf(rs),
    });
  }
  /** The baseline run a speculative run is compared with (its ABAB partner). */
  const baselineOf = baselinePartner(baselineCells);
  const baselinesOf = (rs: readonly Valid[]): Valid[] =>
    rs.map(baselineOf).filter((b): b is Valid => b !== undefined);

  const speculative: SpeculativeGroup[] = [];
  const runsOf = new Map<SpeculativeGroup, Valid[]>();
  const specGroups = groupBy(specCells, (r) =>
    [
      r.hostId,
      pairName(r.cell),
      r.cell.temperature,
      r.cell.k?.kind ?? "fixed",
      kValue(r.cell.k) ?? 0,
      r.cell.pMin ?? "",
      r.cell.nParallel ?? "",
      r.cell.pSplit ?? "",
    ].join("|"),
  );
  for (const rs of specGroups.values()) {
    const first = rs[0]!;
    const k = kValue(first.cell.k) ?? 0;
    const spec = rs.map((r) => r.metrics.decodeTps);
    const group: SpeculativeGroup = {
      hostId: first.hostId,
      pair: pairName(first.cell),
      target: first.cell.target.name,
      draft: first.cell.draft?.name ?? "none",
      temperature: first.cell.temperature,
      k,
      adaptive: first.cell.k?.kind === "adaptive",
      ...(first.cell.pMin === undefined ? {} : { pMin: first.cell.pMin }),
      ...(first.cell.nParallel === undefined ? {} : { nParallel: first.cell.nParallel }),
      ...(first.cell.pSplit === undefined ? {} : { pSplit: first.cell.pSplit }),
      specType: first.cell.specType ?? DEFAULT_SPEC_TYPE,
      ...(first.cell.specSettings === undefined ? {} : { specSettings: first.cell.specSettings }),
      decodeTps: summarizeRate(spec),
      decodeMs: summarize(rs.map((r) => r.metrics.decodeMs)),
      acceptRate: summarize(nums(rs.map((r) => r.metrics.acceptRate))),
      acceptPooled: poolAcceptance(rs.map((r) => r.metrics)),
      tokensPerStep: summarize(nums(rs.map((r) => r.metrics.tokensPerStep))),
    };
    const lengths = pooledAcceptedLength(rs.map((r) => r.metrics));
    if (lengths !== undefined) group.meanAcceptedLength = lengths;
    runsOf.set(group, rs);
    const own = contentionOf(rs);
    if (own.contention !== undefined) group.contention = own.contention;
    const base = baselineByGroup.get(
      [first.hostId, first.cell.target.name, first.cell.temperature].join("|"),
    );
    if (base !== undefined && base.length > 0) {
      const paired = rs.map(baselineOf);
      const complete = paired.every((b) => b !== undefined);
      const baseTps = complete
        ? paired.map((b) => b.metrics.decodeTps)
        : base.map((b) => b.metrics.decodeTps);
      const interval = ratioInterval(spec, baseTps, { paired: complete });
      group.speedup = interval.ratio;
      group.speedupCi95 = interval.ci95;
      group.speedupMethod = interval.method;
      // a speedup is as contended as either side of its pairs
      const c = contentionOf([...rs, ...(complete ? paired : base)]);
      if (c.contention !== undefined) group.contention = c.contention;
    }
    if (opts.precision !== undefined) {
      // the same figure the coordinator's adaptive repeats aim at (contended runs never count)
      const g = groupPrecision([...rs, ...baselinesOf(rs)])[0];
      if (g !== undefined)
        group.precision = {
          ...(g.relCi === undefined ? {} : { relCi: g.relCi }),
          asked: opts.precision.relCi,
          met: isPrecise(g, opts.precision.relCi),
          repeats: g.repeats,
        };
    }
    speculative.push(group);
  }

  const fits = analyzeTheory(
    speculative,
    (g) => runsOf.get(g) ?? [],
    (g) => baselineByGroup.get([g.hostId, g.target, g.temperature].join("|")) ?? [],
  );

  const parallel: ParallelGroup[] = [];
  for (const rs of groupBy(parallelCells, (r) =>
    [r.hostId, r.cell.target.name, r.cell.draft?.name ?? "", r.cell.concurrency ?? 1].join("|"),
  ).values()) {
    const first = rs[0]!;
    parallel.push({
      hostId: first.hostId,
      target: first.cell.target.name,
      ...(first.cell.draft === undefined ? {} : { draft: first.cell.draft.name }),
      concurrency: first.cell.concurrency ?? 1,
      aggregateTps: summarizeRate(rs.map((r) => r.metrics.aggregateTps ?? r.metrics.decodeTps)),
      aggregateTpsValues: rs.map((r) => r.metrics.aggregateTps ?? r.metrics.decodeTps),
      ...contentionOf(rs),
    });
  }

  const memory: MemoryGroup[] = [];
  for (const rs of groupBy(
    [...baselineCells, ...specCells],
    (r) => `${r.cell.target.name}|${r.cell.kind === "speculative" ? (r.cell.draft?.name ?? "") : ""}`,
  ).values()) {
    const first = rs[0]!;
    const draftName = first.cell.kind === "speculative" ? first.cell.draft?.name : undefined;
    const group: MemoryGroup = {
      target: first.cell.target.name,
      ...(draftName === undefined ? {} : { draft: draftName }),
      memoryMib: summarize(nums(rs.map((r) => r.metrics.memoryMib))),
      peakVramMib: summarize(nums(rs.map((r) => r.metrics.peakVramMib))),
    };
    const estimated = estimateMemory(first.cell, draftName !== undefined, models);
    if (estimated !== undefined) group.estimatedMib = estimated;
    memory.push(group);
  }

  const greedyMismatches: GreedyMismatch[] = [];
  let greedyChecked = 0;
  // Repeats of a greedy run reproduce each other's text, and a draft identical to its target cannot
  // disagree with it: the headline counts distinct comparisons with a different draft.
  const distinct = new Set<string>();
  const baselineTexts = new Set<string>();
  let identicalDraftRuns = 0;
  for (const r of specCells) {
    if (r.cell.temperature !== 0 || r.metrics.tokensSha256 === undefined) continue;
    const base = baselineOf(r);
    if (base?.metrics.tokensSha256 === undefined) continue;
    greedyChecked++;
    const k = kValue(r.cell.k) ?? 0;
    if (r.cell.draft !== undefined && r.cell.draft.sha256 === r.cell.target.sha256) identicalDraftRuns++;
    else {
      distinct.add(
        [
          r.hostId,
          r.cell.draft?.sha256 ?? r.cell.draft?.name ?? "",
          k,
          base.metrics.tokensSha256,
          r.metrics.tokensSha256,
        ].join("|"),
      );
      baselineTexts.add(base.metrics.tokensSha256);
    }
    if (base.metrics.tokensSha256 !== r.metrics.tokensSha256) {
      greedyMismatches.push({
        hostId: r.hostId,
        cellId: r.cellId,
        pair: pairName(r.cell),
        k: kValue(r.cell.k) ?? 0,
        promptIndex: r.cell.promptIndex,
        seed: r.cell.seed,
      });
    }
  }

  return {
    sweepId,
    hostIds: [...new Set(results.map((r) => r.hostId))].sort(),
    counts: {
      results: results.length,
      ok: results.filter((r) => r.status === "ok").length,
      invalid: results.filter((r) => r.status === "invalid").length,
      failed: results.filter((r) => r.status === "failed").length,
      withoutCell,
    },
    invalid,
    invalidByReason,
    baselines: baselines.sort(byKeys("hostId", "target", "temperature")),
    speculative: speculative.sort(byKeys("hostId", "pair", "temperature", "k")),
    fits: fits.sort(byKeys("hostId", "pair", "temperature")),
    parallel: parallel.sort(byKeys("hostId", "target", "draft", "concurrency")),
    memory,
    greedyMismatches,
    greedyChecked,
    loads: modelLoads(results),
    greedy: {
      distinct: distinct.size,
      identicalDraftRuns,
      distinctBaselineTexts: baselineTexts.size,
    },
  };
}

/** Mean accepted length pooled over runs that counted their drafts: 1 + Σ accepted / Σ drafts. */
function pooledAcceptedLength(ms: readonly CellMetrics[]): number | undefined {
  let accepted = 0;
  let drafts = 0;
  for (const m of ms) {
    if (m.nDrafts === undefined || m.nAccept === undefined) continue;
    accepted += m.nAccept;
    drafts += m.nDrafts;
  }
  return meanAcceptedLength(accepted, drafts);
}

function byKeys<T>(...keys: Array<keyof T>): (a: T, b: T) => number {
  return (a, b) => {
    for (const k of keys) {
      const x = a[k] as string | number | undefined;
      const y = b[k] as string | number | undefined;
      if (x === y) continue;
      if (x === undefined) return -1;
      if (y === undefined) return 1;
      return x < y ? -1 : 1;
    }
    return 0;
  };
}

/** GGUF facts as the models table stores them (core/gguf's shape), when complete enough for core/memory. */
function estimateMemory(cell: Cell, withDraft: boolean, models: ModelRecord[]): number | undefined {
  const facts = (sha?: string): Parameters<typeof estimatePairMemory>[0] | undefined => {
    const f = models.find((m) => m.sha256 === sha)?.facts as Record<string, unknown> | undefined;
    if (f === undefined || typeof f.tensorDataBytes !== "number" || typeof f.blockCount !== "number")
      return undefined;
    return f as unknown as Parameters<typeof estimatePairMemory>[0];
  };
  const target = facts(cell.target.sha256);
  if (target === undefined) return undefined;
  const draft = withDraft ? facts(cell.draft?.sha256) : target;
  if (draft === undefined) return undefined;
  try {
    const est = estimatePairMemory(target, draft, { ctx: cell.llama.ctx, parallel: cell.concurrency ?? 1 });
    return withDraft ? est.withDraftMib : est.targetAloneMib;
  } catch {
    return undefined;
  }
}
