// Fits the theory's two parameters to measurements of one (host, pair, temperature): α from acceptance or
// tokens per target step, then c from measured speedup across K with α held fixed, and the best K the
// fitted theory predicts. Least squares by a fine grid plus golden-section refinement: one dimension at a
// time, a handful of points, no need for anything heavier.
import { expectedSpeedup, expectedTokensPerStep } from "./expected-speedup.js";
import { theoryTable } from "./theory-table.js";

export interface TheoryPoint {
  k: number;
  /** Accepted / drafted draft tokens. */
  acceptRate?: number;
  /** Generated tokens / target steps. */
  tokensPerStep?: number;
  /** Speculative / baseline decode t/s. */
  speedup?: number;
}

export interface AlphaCFit {
  /** Undefined when no point carries acceptRate or tokensPerStep. */
  alpha?: number;
  /** What α was fitted to. */
  alphaFrom?: "tokensPerStep" | "acceptRate";
  /** Root mean square of the α fit's residuals, in the unit of alphaFrom. */
  alphaRms?: number;
  /** Undefined without α or without speedup points. */
  c?: number;
  /** Root mean square of the speedup residuals. */
  cRms?: number;
  /** Best K of the fitted theory over 1..max(16, largest measured K). */
  bestK?: number;
  predictedBestSpeedup?: number;
  /** Points used for α and for c. */
  nAlpha: number;
  nC: number;
}

const C_MAX = 4;

/** Minimum of f on [lo, hi]: grid scan, then golden section around the best grid point. */
function minimize(f: (x: number) => number, lo: number, hi: number): number {
  const steps = 400;
  let best = lo;
  let bestValue = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= steps; i++) {
    const x = lo + ((hi - lo) * i) / steps;
    const v = f(x);
    if (v < bestValue) {
      best = x;
      bestValue = v;
    }
  }
  let a = Math.max(lo, best - (hi - lo) / steps);
  let b = Math.min(hi, best + (hi - lo) / steps);
  const ratio = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 100 && b - a > 1e-12; i++) {
    const x1 = b - ratio * (b - a);
    const x2 = a + ratio * (b - a);
    if (f(x1) <= f(x2)) b = x2;
    else a = x1;
  }
  return (a + b) / 2;
}

function rms(residuals: readonly number[]): number {
  let s = 0;
  for (const r of residuals) s += r * r;
  return Math.sqrt(s / residuals.length);
}

/** Expected accepted / drafted when every step drafts K tokens: (tokens per step - 1) / K. */
function expectedAcceptRate(alpha: number, k: number): number {
  return (expectedTokensPerStep(alpha, k) - 1) / k;
}

export function fitAlphaC(points: readonly TheoryPoint[]): AlphaCFit {
  const byTps = points.filter((p) => p.tokensPerStep !== undefined && Number.isFinite(p.tokensPerStep));
  const byAccept = points.filter((p) => p.acceptRate !== undefined && Number.isFinite(p.acceptRate));
  // Tokens per step is the theory's own quantity; acceptance needs the "full K every step" assumption.
  const alphaFrom = byTps.length > 0 ? "tokensPerStep" : byAccept.length > 0 ? "acceptRate" : undefined;
  if (alphaFrom === undefined) return { nAlpha: 0, nC: 0 };
  const alphaPoints = alphaFrom === "tokensPerStep" ? byTps : byAccept;
  const predict = (alpha: number, p: TheoryPoint): number =>
    alphaFrom === "tokensPerStep" ? expectedTokensPerStep(alpha, p.k) : expectedAcceptRate(alpha, p.k);
  const measured = (p: TheoryPoint): number =>
    (alphaFrom === "tokensPerStep" ? p.tokensPerStep : p.acceptRate) ?? 0;
  const alphaResiduals = (alpha: number): number[] => alphaPoints.map((p) => predict(alpha, p) - measured(p));
  const alpha = minimize((a) => rms(alphaResiduals(a)), 0, 1);
  const fit: AlphaCFit = {
    alpha,
    alphaFrom,
    alphaRms: rms(alphaResiduals(alpha)),
    nAlpha: alphaPoints.length,
    nC: 0,
  };
  const speedPoints = points.filter((p) => p.speedup !== undefined && Number.isFinite(p.speedup));
  if (speedPoints.length === 0) return fit;
  const speedResiduals = (c: number): number[] =>
    speedPoints.map((p) => expectedSpeedup(alpha, c, p.k) - (p.speedup ?? 0));
  const c = minimize((x) => rms(speedResiduals(x)), 0, C_MAX);
  const kMax = Math.max(16, ...points.map((p) => p.k));
  const table = theoryTable({ alpha, c, kMax });
  return {
    ...fit,
    c,
    cRms: rms(speedResiduals(c)),
    nC: speedPoints.length,
    bestK: table.bestK,
    predictedBestSpeedup: table.bestSpeedup,
  };
}
