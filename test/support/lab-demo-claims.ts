// The claims the demo exists to show (issue 12's done-when), checked against a sweep's stored results and the
// report's own answers: the figures come from the same analysis `specgrid report` renders, never from a
// second computation of speedups. Used by the lab-demo integration test and by hand on a full demo database
// (`npx tsx test/support/check-lab-demo.ts DB`).
import { answerQuestions } from "../../cli/report/answer-questions.js";
import { bestGroup } from "../../cli/report/best-group.js";
import { analyzeSweep } from "../../cli/report/analyze-sweep.js";
import { recommend } from "../../cli/report/recommend.js";
import type { SpeculativeGroup } from "../../cli/report/sweep-analysis.js";
import type { Store } from "../../cli/store/open-store.js";

export interface LabDemoPairs {
  /** `target+draft` of the aligned pair, the moderately aligned one and the misaligned control. */
  aligned: string;
  /** Absent: the grid has no moderately aligned pair (a small test grid), and its claim is not made. */
  moderate?: string;
  control: string;
}

export interface Claim {
  claim: string;
  holds: boolean;
  /** The figures behind the verdict, as a line a person can check against the report. */
  figures: string;
  /**
   * The verdict rests on speedups with little margin (intervals, best K, the fitted draft cost), which a
   * contended host moves: it is evidence only from runs the agent did not mark contended.
   */
  needsQuietHost: boolean;
}

/** Cells of the sweep the agent marked contended (other processes took cores the engine needed). */
export function contendedCells(store: Store, sweepId: string): { contended: number; total: number } {
  const results = store.results(sweepId);
  return {
    contended: results.filter((r) => r.metrics?.noise?.contended === true).length,
    total: results.length,
  };
}

const fmt = (x: number | undefined | null, digits = 3): string =>
  x === undefined || x === null || !Number.isFinite(x) ? "n/a" : x.toFixed(digits);

export function labDemoClaims(store: Store, sweepId: string, pairs: LabDemoPairs): Claim[] {
  const results = store.results(sweepId);
  const analysis = analyzeSweep(sweepId, results, store.models());
  const answers = answerQuestions(analysis);
  const recommendations = recommend(analysis, answers);
  const groups = (pair: string, t?: number) =>
    analysis.speculative.filter((g) => g.pair === pair && (t === undefined || g.temperature === t));
  const temps = [...new Set(analysis.speculative.map((g) => g.temperature))].sort((a, b) => a - b);
  const tLow = temps[0]!;
  const tHigh = temps[temps.length - 1]!;
  const claims: Claim[] = [];

  // 1. the aligned pair pays at low temperature, and the report says so with a K
  const aligned = bestGroup(groups(pairs.aligned, tLow));
  const rec = recommendations.find((r) => r.includes(`${pairs.aligned}:`));
  claims.push({
    claim: `${pairs.aligned} at T=${tLow}: speedup > 1 with its 95% CI above 1, and the report enables speculation with a named K`,
    holds:
      aligned?.speedup !== undefined &&
      aligned.speedup > 1 &&
      aligned.speedupCi95 !== undefined &&
      aligned.speedupCi95[0] > 1 &&
      rec !== undefined &&
      /enable speculation with K=\d/.test(rec),
    needsQuietHost: true,
    figures: `best K=${aligned?.k ?? "n/a"} ${fmt(aligned?.speedup, 2)}x CI [${fmt(aligned?.speedupCi95?.[0], 2)}, ${fmt(aligned?.speedupCi95?.[1], 2)}]; report: "${rec ?? "no recommendation"}"`,
  });

  // 2. the moderately aligned pair's speedup rises then falls across K
  if (pairs.moderate !== undefined)
    claims.push(interiorBestK(groups(pairs.moderate, tLow), pairs.moderate, tLow));

  // 3. acceptance falls with temperature (pooled per prompt over K, repeats): for the aligned pair beyond
  // the spread between prompts, as the issue asks of aligned pairs; for the moderately aligned one (about
  // 0.35 accepted at T = 0, where a poorly aligned draft's acceptance barely moves with T) on the mean over
  // prompts
  for (const [pair, strict] of [
    [pairs.aligned, true],
    [pairs.moderate, false],
  ] as const) {
    if (pair === undefined) continue;
    const perPrompt = (t: number): number[] => {
      const byPrompt = new Map<number, { a: number; d: number }>();
      for (const r of results) {
        const c = r.cell;
        if (r.status !== "ok" || c?.kind !== "speculative" || c.temperature !== t) continue;
        if (`${c.target.name}+${c.draft?.name}` !== pair) continue;
        const p = byPrompt.get(c.promptIndex) ?? { a: 0, d: 0 };
        p.a += r.metrics?.nAccept ?? 0;
        p.d += r.metrics?.nDrafted ?? 0;
        byPrompt.set(c.promptIndex, p);
      }
      return [...byPrompt.values()].filter((p) => p.d > 0).map((p) => p.a / p.d);
    };
    const low = perPrompt(tLow);
    const high = perPrompt(tHigh);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    claims.push({
      claim: strict
        ? `${pair}: acceptance falls from T=${tLow} to T=${tHigh} beyond the spread between prompts`
        : `${pair}: acceptance falls from T=${tLow} to T=${tHigh} on the mean over prompts`,
      holds:
        low.length > 0 &&
        high.length > 0 &&
        (strict ? Math.min(...low) > Math.max(...high) : mean(low) > mean(high)),
      needsQuietHost: false,
      figures: `per prompt at T=${tLow}: ${low.map((x) => fmt(x)).join(", ")}; at T=${tHigh}: ${high.map((x) => fmt(x)).join(", ")}`,
    });
  }

  // 4. the control is slower than the baseline; break-even lies between the control's and the aligned acceptance
  const control = groups(pairs.control, tLow).filter((g) => g.speedup !== undefined);
  // not bestGroup: it skips groups where nothing was accepted, which is the control's point
  const controlBest = Math.max(...control.map((g) => g.speedup!));
  claims.push({
    claim: `${pairs.control}: slower than the baseline at every K (T=${tLow})`,
    holds: control.length > 0 && control.every((g) => g.speedup! < 1),
    // the control drafts K tokens and verifies K+1 positions for about one token: 0.2-0.6x even at a load
    // average of 20 on 2 cores
    needsQuietHost: false,
    figures: control.map((g) => `K=${g.k} ${fmt(g.speedup, 2)}x`).join(", "),
  });
  const acceptance = answers.find((a) => a.id === "aligned-vs-misaligned")?.numbers ?? [];
  const acc = (pair: string): number | undefined =>
    acceptance.find((n) => n.pair === pair)?.alpha as number | undefined;
  const breakEven = answers.find((a) => a.id === "break-even")?.numbers.find((n) => n.pair === pairs.aligned)
    ?.breakEvenAlpha as number | null | undefined;
  const lo = acc(pairs.control);
  const hi = acc(pairs.aligned);
  claims.push({
    claim: `the report's break-even acceptance (${pairs.aligned}) lies between the control's and the aligned pair's α (report: aligned vs misaligned)`,
    holds:
      typeof breakEven === "number" &&
      lo !== undefined &&
      hi !== undefined &&
      lo < breakEven &&
      breakEven < hi,
    needsQuietHost: true,
    figures: `control ${fmt(lo)} < break-even ${fmt(breakEven)} < aligned ${fmt(hi)} (control best ${fmt(controlBest, 2)}x)`,
  });
  return claims;
}

function interiorBestK(groups: SpeculativeGroup[], pair: string, t: number): Claim {
  const byK = groups.filter((g) => !g.adaptive && g.speedup !== undefined).sort((a, b) => a.k - b.k);
  const best = bestGroup(byK);
  const ks = byK.map((g) => g.k);
  return {
    claim: `${pair} at T=${t}: an interior best K (speedup rises then falls across K)`,
    holds: best !== undefined && ks.length >= 3 && best.k > ks[0]! && best.k < ks[ks.length - 1]!,
    needsQuietHost: true,
    figures: byK.map((g) => `K=${g.k} ${fmt(g.speedup, 2)}x`).join(", "),
  };
}
