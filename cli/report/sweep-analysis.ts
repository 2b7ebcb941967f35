// The numbers a report, a hardware comparison and a reproduction verdict are built from, computed once
// from the stored results. Only valid (status ok) results are averaged; everything else is counted and
// listed with its reason.
import type { RatioMethod } from "../../core/stats/ratio-interval.js";
import type { RateSummary } from "../../core/stats/summarize-rate.js";
import type { Summary } from "../../core/stats/summarize.js";
import type { PooledAcceptance } from "../../core/stats/pool-acceptance.js";
import type { ContentionSummary } from "../../core/stats/summarize-contention.js";
import type { AlphaCFit } from "../../core/theory/fit-alpha-c.js";
import type { GeometricAlpha } from "../../core/theory/geometric-alpha.js";
import type { MeasuredCost } from "../../core/theory/measured-cost.js";
import type { HostLoads } from "./model-loads.js";

export interface InvalidEntry {
  hostId: string;
  cellId: string;
  kind: string;
  status: string;
  reason: string;
  message?: string;
}

export interface BaselineGroup {
  hostId: string;
  target: string;
  temperature: number;
  decodeTps: RateSummary;
  promptTps: RateSummary;
  /** Host noise of the group's runs, where recorded; contended runs keep the group out of every recommendation. */
  contention?: ContentionSummary;
}

export interface SpeculativeGroup {
  hostId: string;
  /** `target+draft` by model name. */
  pair: string;
  target: string;
  draft: string;
  temperature: number;
  /** Fixed K, or the adaptive policy's kMax. */
  k: number;
  adaptive: boolean;
  pMin?: number;
  /** Tree drafting (llama-speculative): draft sequences and split probability, where the sweep set them. */
  nParallel?: number;
  pSplit?: number;
  /** The `--spec-type` value the group ran (draft-simple for cells planned before it was a dimension), and its settings. */
  specType: string;
  specSettings?: Record<string, number>;
  /**
   * Mean accepted length (Spec-Bench's τ): 1 + Σ accepted / Σ drafts over runs whose engine counted its
   * drafts (llama-server /metrics).
   */
  meanAcceptedLength?: number;
  decodeTps: RateSummary;
  decodeMs: Summary;
  /** Per-run acceptance rates (secondary: a short run weighs like a long one). */
  acceptRate: Summary;
  /** The headline acceptance: Σ accepted / Σ drafted over the group's runs (one host, pair, K, temperature). */
  acceptPooled: PooledAcceptance;
  tokensPerStep: Summary;
  /** Geometric mean of the paired speculative / baseline decode t/s ratios on the same host, target and
   * temperature (ratio of geometric means when unpaired). */
  speedup?: number;
  /** 95% interval of the speedup: t on the log ratios (paired by prompt and repeat where every pair is complete). */
  speedupCi95?: [number, number];
  /** paired-log-t when every speculative run had its baseline partner, welch-log-t otherwise. */
  speedupMethod?: RatioMethod;
  /**
   * Against the manifest's sweep.precision (adaptive repeats, core/plan/precision-round): the interval's
   * half-width over its estimate, the asked rel_ci and whether it was met. A group that never met it is
   * unstable: no answer or recommendation is based on it.
   */
  precision?: { relCi?: number; asked: number; met: boolean; repeats: number };
  /** α from this group's accepted-by-position (A / (A + R)), where the engine recorded it. */
  alphaByPosition?: GeometricAlpha;
  /** Draft cost c and verification cost v(K) from this group's recorded draft and target times. */
  cost?: MeasuredCost;
  /** The theory's speedup E(α, K) / (K·c + v(K)) at this (host, pair, temperature)'s α and this group's costs. */
  theorySpeedup?: number;
  /** measured: α from accepted-by-position and c, v(K) from recorded times; fitted: any of them fitted. */
  theorySource?: Source;
  /** Pooled acceptance is exactly 0: the draft cannot have paid, whatever the timing ratio says. */
  noneAccepted?: boolean;
  /** Host noise of the group's runs and their paired baselines, where recorded. */
  contention?: ContentionSummary;
}

/** Whether a figure was measured from recorded counts and times or fitted to other figures. */
export type Source = "measured" | "fitted";

export interface FitGroup {
  hostId: string;
  pair: string;
  temperature: number;
  /** The least-squares fit of α (tokens per step or acceptance) and c (speedups). */
  fit: AlphaCFit;
  /** The α the answers use: measured from accepted-by-position (pooled over K) where recorded, else fit.alpha. */
  alpha?: number;
  alphaSource?: Source;
  /** What α came from. */
  alphaFrom?: "accepted-by-position" | "tokensPerStep" | "acceptRate";
  /** The α the theory's speedups use with c: alpha when c is measured, fit.alpha when c is fitted. */
  theoryAlpha?: number;
  theoryAlphaSource?: Source;
  /** Draft cost per token in target passes: measured from the recorded times (all K pooled), else fit.c. */
  c?: number;
  cSource?: Source;
  /** Measured verification cost per K (target passes per K + 1 position step). */
  vByK: Record<number, number>;
  /** Best K of the theory: among the measured K with measured costs, else the fit's best K. */
  bestK?: number;
  bestKSpeedup?: number;
}

export interface ParallelGroup {
  hostId: string;
  target: string;
  draft?: string;
  concurrency: number;
  aggregateTps: RateSummary;
  /** The runs' aggregate t/s, for the batching gain's interval. */
  aggregateTpsValues: number[];
  contention?: ContentionSummary;
}

export interface MemoryGroup {
  target: string;
  draft?: string;
  /** Memory the engine reported for the cell (contexts, KV), MiB. */
  memoryMib: Summary;
  /** Peak GPU memory during the cell, MiB. */
  peakVramMib: Summary;
  /** From the GGUF facts (core/memory), when the models' facts are stored. */
  estimatedMib?: number;
}

export interface GreedyMismatch {
  hostId: string;
  cellId: string;
  pair: string;
  k: number;
  promptIndex: number;
  seed: number;
}

export interface SweepAnalysis {
  sweepId: string;
  hostIds: string[];
  counts: { results: number; ok: number; invalid: number; failed: number; withoutCell: number };
  invalid: InvalidEntry[];
  invalidByReason: Record<string, number>;
  baselines: BaselineGroup[];
  speculative: SpeculativeGroup[];
  fits: FitGroup[];
  parallel: ParallelGroup[];
  memory: MemoryGroup[];
  greedyMismatches: GreedyMismatch[];
  /** Model loads per host and the time they took against the time in cells. */
  loads: HostLoads[];
  /** Greedy speculative results that had a baseline to compare with. */
  greedyChecked: number;
  greedy: {
    /** Distinct (host, draft, K, baseline text, speculative text) comparisons, identical drafts left out. */
    distinct: number;
    /** Runs whose draft is the target itself (same sha256): they cannot disagree, so they are not counted. */
    identicalDraftRuns: number;
    /** Distinct baseline outputs those comparisons were made against. */
    distinctBaselineTexts: number;
  };
}
