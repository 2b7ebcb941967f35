// What speedup is achieved, against the theory, and why do they differ? Per host and pair, the best setting
// at the lowest temperature against E(α, K) with a free draft and with the draft's and verification's costs.
import { expectedTokensPerStep } from "../../../core/theory/expected-speedup.js";
import { formatCi, formatNumber } from "../format-number.js";
import { bestWithNoise } from "./answer-context.js";
import { subject, type Question, type Subject } from "./answer.js";
import { costLabel, theoryAlphaLabel } from "./labels.js";

interface Achieved {
  where: string;
  speedup: number;
  theory?: number;
}

export const speedupVsTheory: Question<Achieved> = {
  id: "speedup-vs-theory",
  title: "What speedup is achieved, against the theory, and why do they differ?",
  subjectsAre: "host/pair settings",
  noData: "No valid speculative results in this sweep.",
  subjects({ pairs }) {
    return pairs.flatMap((p): Array<Subject<Achieved>> => {
      const where = `${p.hostId}, ${p.pair}, T=${p.t0}`;
      const { best, noise } = bestWithNoise(
        p.groups.filter((g) => g.temperature === p.t0),
        where,
      );
      if (best?.speedup === undefined)
        return noise.length === 0 ? [] : [{ line: `${where}: no speedup used.`, numbers: [], noise }];
      const { fit } = p;
      const k = best.k;
      const alpha = fit?.theoryAlpha;
      const ideal = alpha === undefined ? undefined : expectedTokensPerStep(alpha, k);
      const v = fit?.vByK[k];
      const measuredCosts = fit?.cSource === "measured" && v !== undefined;
      const stepCost = fit?.c === undefined ? undefined : k * fit.c + (measuredCosts ? v : 1);
      const withCost = ideal === undefined || stepCost === undefined ? undefined : ideal / stepCost;
      const costText = measuredCosts
        ? `charging the measured draft cost ${costLabel(fit)} target passes per draft token and the measured ` +
          `verification cost v(${k})=${formatNumber(v, 2)} target passes per step (K·c + v = ${formatNumber(stepCost)} passes)`
        : `charging the fitted draft cost ${costLabel(fit)} per draft token and a verification pass of 1 target pass ` +
          `(K·c + 1 = ${formatNumber(stepCost)} passes)`;
      const gapText = measuredCosts
        ? `Both costs are measured, not fitted to these speedups, so the gap between theory and measurement ` +
          `is time spent outside the two models (sampling, cache rollback, bookkeeping), α's variation across prompts, and noise.`
        : `c is fitted to these same speedups, so the theory cannot explain them independently: only the fit's ` +
          `residual (rms ${formatNumber(fit?.fit.cRms, 3)}) says how well one c describes every K.`;
      return [
        subject(
          `${where}, K=${k}: measured speedup ${formatNumber(best.speedup)}x ` +
            `(95% CI ${formatCi(best.speedupCi95)}). A free draft at ${fit === undefined ? "α=n/a" : theoryAlphaLabel(fit)} ` +
            `would give ${formatNumber(ideal)}x (tokens per target step); ${costText} gives ${formatNumber(withCost)}x. ${gapText}`,
          [
            {
              hostId: p.hostId,
              pair: p.pair,
              temperature: p.t0,
              k,
              measuredSpeedup: best.speedup,
              idealSpeedup: ideal ?? null,
              theorySpeedup: withCost ?? null,
              alpha: alpha ?? null,
              alphaSource: fit?.theoryAlphaSource ?? null,
              c: fit?.c ?? null,
              cSource: fit?.cSource ?? null,
              v: measuredCosts ? v : null,
            },
          ],
          noise,
          {
            where: `${where}, K=${k}`,
            speedup: best.speedup,
            ...(withCost === undefined ? {} : { theory: withCost }),
          },
        ),
      ];
    });
  },
  headline(xs) {
    const top = xs.reduce((b, x) => (x.speedup > b.speedup ? x : b));
    return (
      `The best measured speedup is ${formatNumber(top.speedup)}x (${top.where}), against ` +
      `${formatNumber(top.theory)}x in theory with the draft's costs` +
      (xs.length > 1 ? `; ${xs.length} host/pair settings answer.` : ".")
    );
  },
};
