// The theory per (host, pair, temperature), from measurements where the engine recorded them: α from
// accepted-by-position (A / (A + R), core/theory/geometric-alpha), the draft cost c and verification cost
// v(K) from the recorded draft and target times (core/theory/measured-cost); the least-squares fit of α and
// c (core/theory/fit-alpha-c) where they are missing. Every figure carries whether it was measured or fitted.
import type { Cell } from "../../core/cell.js";
import type { CellMetrics } from "../../core/metrics.js";
import { expectedSpeedup, expectedSpeedupWithVerify } from "../../core/theory/expected-speedup.js";
import { fitAlphaC } from "../../core/theory/fit-alpha-c.js";
import { geometricAlpha, type PositionRun } from "../../core/theory/geometric-alpha.js";
import { measuredCost } from "../../core/theory/measured-cost.js";
import type { FitGroup, SpeculativeGroup } from "./sweep-analysis.js";

interface Run {
  cell: Cell;
  metrics: CellMetrics;
}

function positionRuns(k: number, runs: readonly Run[]): PositionRun[] {
  return runs.flatMap((r): PositionRun[] => {
    const m = r.metrics;
    if (m.nAccept === undefined || m.nDrafted === undefined) return [];
    // llama-server /metrics: counts per position and the drafts they came from
    if (m.nDrafts !== undefined && m.acceptedByPosition !== undefined) {
      return [
        {
          k,
          nAccept: m.nAccept,
          nDrafted: m.nDrafted,
          acceptByPosition: m.acceptByPosition ?? [],
          counts: { drafts: m.nDrafts, acceptedByPosition: m.acceptedByPosition },
        },
      ];
    }
    if (m.acceptByPosition === undefined) return [];
    return [
      {
        k,
        nAccept: m.nAccept,
        nDrafted: m.nDrafted,
        acceptByPosition: m.acceptByPosition,
        ...(m.targetSteps === undefined ? {} : { targetSteps: m.targetSteps }),
      },
    ];
  });
}

/** Fills each fixed-K group's α, costs and theory speedup, and returns one FitGroup per (host, pair, T). */
export function analyzeTheory(
  speculative: readonly SpeculativeGroup[],
  runsOf: (g: SpeculativeGroup) => readonly Run[],
  baselinesOf: (g: SpeculativeGroup) => readonly Run[],
): FitGroup[] {
  const byKey = new Map<string, SpeculativeGroup[]>();
  for (const g of speculative) {
    const { nAccept, nDrafted } = g.acceptPooled;
    if (nDrafted > 0 && nAccept === 0) g.noneAccepted = true;
    // the theory is about K drafted tokens a step: adaptive K and methods that size their own drafts
    // (n-gram, k = 0) have no fixed K to fit
    if (g.adaptive || g.k < 1) continue;
    const key = [g.hostId, g.pair, g.temperature].join("|");
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [g]);
    else list.push(g);
  }
  const fits: FitGroup[] = [];
  for (const gs of byKey.values()) {
    const first = gs[0]!;
    const baselines = baselinesOf(first).map((b) => b.metrics);
    const allPositionRuns: PositionRun[] = [];
    const allSpec: CellMetrics[] = [];
    for (const g of gs) {
      const runs = runsOf(g);
      const pr = positionRuns(g.k, runs);
      allPositionRuns.push(...pr);
      allSpec.push(...runs.map((r) => r.metrics));
      const alpha = geometricAlpha(pr);
      if (alpha !== undefined) g.alphaByPosition = alpha;
      const cost = measuredCost(
        runs.map((r) => r.metrics),
        baselines,
      );
      if (cost !== undefined) g.cost = cost;
    }
    const fit = fitAlphaC(
      gs.map((g) => ({
        k: g.k,
        ...(g.tokensPerStep.n > 0 ? { tokensPerStep: g.tokensPerStep.mean } : {}),
        ...(g.acceptPooled.rate === undefined ? {} : { acceptRate: g.acceptPooled.rate }),
        ...(g.speedup === undefined ? {} : { speedup: g.speedup }),
      })),
    );
    const group: FitGroup = {
      hostId: first.hostId,
      pair: first.pair,
      temperature: first.temperature,
      fit,
      vByK: {},
    };
    const measuredAlpha = geometricAlpha(allPositionRuns);
    if (measuredAlpha !== undefined) {
      group.alpha = measuredAlpha.alpha;
      group.alphaSource = "measured";
      group.alphaFrom = "accepted-by-position";
    } else if (fit.alpha !== undefined) {
      group.alpha = fit.alpha;
      group.alphaSource = "fitted";
      if (fit.alphaFrom !== undefined) group.alphaFrom = fit.alphaFrom;
    }
    const pooledCost = measuredCost(allSpec, baselines);
    for (const g of gs) if (g.cost !== undefined) group.vByK[g.k] = g.cost.v;
    if (pooledCost !== undefined && group.alpha !== undefined) {
      group.c = pooledCost.c;
      group.cSource = "measured";
      group.theoryAlpha = group.alpha;
      group.theoryAlphaSource = group.alphaSource!;
      let best: SpeculativeGroup | undefined;
      for (const g of gs) {
        if (g.k < 1 || g.cost === undefined) continue;
        g.theorySpeedup = expectedSpeedupWithVerify(group.alpha, pooledCost.c, g.cost.v, g.k);
        g.theorySource = group.alphaSource === "measured" ? "measured" : "fitted";
        if (best === undefined || g.theorySpeedup > (best.theorySpeedup ?? -Infinity)) best = g;
      }
      if (best !== undefined) {
        group.bestK = best.k;
        group.bestKSpeedup = best.theorySpeedup!;
      }
    } else if (fit.alpha !== undefined && fit.c !== undefined) {
      // c was fitted against the fitted α: the theory uses the two together
      group.theoryAlpha = fit.alpha;
      group.theoryAlphaSource = "fitted";
      group.c = fit.c;
      group.cSource = "fitted";
      if (fit.bestK !== undefined) group.bestK = fit.bestK;
      if (fit.predictedBestSpeedup !== undefined) group.bestKSpeedup = fit.predictedBestSpeedup;
      for (const g of gs) {
        if (g.k < 1) continue;
        g.theorySpeedup = expectedSpeedup(fit.alpha, fit.c, g.k);
        g.theorySource = "fitted";
      }
    }
    fits.push(group);
  }
  return fits;
}
