// The numbers a report, a hardware comparison and a reproduction verdict are built from, computed once
// from the stored results. Only valid (status ok) results are averaged; everything else is counted and
// listed with its reason.
import type { RatioMethod } from "../../core/stats/ratio-interval.js";
import type { RateSummary } from "../../core/stats/summarize-rate.js";
import type { Summary } from "../../core/stats/summarize.js";
import type { AlphaCFit } from "../../core/theory/fit-alpha-c.js";

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
  decodeTps: RateSummary;
  decodeMs: Summary;
  acceptRate: Summary;
  tokensPerStep: Summary;
  /** Geometric mean of the paired speculative / baseline decode t/s ratios on the same host, target and
   * temperature (ratio of geometric means when unpaired). */
  speedup?: number;
  /** 95% interval of the speedup: t on the log ratios (paired by prompt and repeat where every pair is complete). */
  speedupCi95?: [number, number];
  /** paired-log-t when every speculative run had its baseline partner, welch-log-t otherwise. */
  speedupMethod?: RatioMethod;
  /** The theory's speedup at the fitted α and c of this (host, pair, temperature). */
  theorySpeedup?: number;
}

export interface FitGroup {
  hostId: string;
  pair: string;
  temperature: number;
  fit: AlphaCFit;
}

export interface ParallelGroup {
  hostId: string;
  target: string;
  draft?: string;
  concurrency: number;
  aggregateTps: RateSummary;
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
  /** Greedy speculative results that had a baseline to compare with. */
  greedyChecked: number;
}
