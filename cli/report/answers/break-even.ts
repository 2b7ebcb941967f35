// What is the break-even acceptance? The α at which the best K's step pays for its draft and verification
// costs, against the pair's α; the α is labelled measured or fitted, never called measured when fitted.
import { breakEvenAlpha } from "../../../core/theory/break-even-alpha.js";
import { formatNumber } from "../format-number.js";
import type { NoiseNote } from "../noise-check.js";
import type { Source } from "../sweep-analysis.js";
import { subject, type Question } from "./answer.js";
import { alphaLabel, alphaSourceText, costLabel } from "./labels.js";

interface BreakEven {
  where: string;
  k: number;
  breakEven: number | null;
  alpha?: number;
  alphaSource?: Source;
  alphaFrom?: string;
}

export const breakEven: Question<BreakEven> = {
  id: "break-even",
  title: "What is the break-even acceptance?",
  subjectsAre: "host/pairs",
  noData: "No draft cost (needs speculative and baseline results).",
  subjects({ pairs }) {
    return pairs.flatMap((p) => {
      const fit = p.fit;
      if (p.best === undefined || fit?.c === undefined) return [];
      const k = p.best.k;
      const measuredV = fit.cSource === "measured" ? fit.vByK[k] : undefined;
      const be = breakEvenAlpha(fit.c, k, measuredV ?? 1);
      const be1 = breakEvenAlpha(fit.c, 1, fit.cSource === "measured" ? (fit.vByK[1] ?? 1) : 1);
      const costs =
        measuredV === undefined
          ? `with the ${fit.cSource ?? "fitted"} draft cost ${costLabel(fit)} and a verification pass of 1 target pass`
          : `with the measured draft cost ${costLabel(fit)} and the measured verification cost v(${k})=${formatNumber(measuredV, 2)}`;
      const margin =
        fit.alpha === undefined || be === null
          ? ""
          : fit.alpha >= be
            ? `, above break-even`
            : `, below break-even`;
      const where = `${p.hostId}, ${p.pair}`;
      const noise: NoiseNote[] =
        fit.alpha !== undefined && be !== null && Math.abs(fit.alpha - be) < 0.02
          ? [
              {
                cause: "borderline",
                text: `${where}: α is within 0.02 of break-even, closer than the run-to-run spread of acceptance: whether K=${k} pays is not settled by it`,
              },
            ]
          : [];
      return [
        subject(
          `${where}: ${costs}, K=${k} breaks even at ` +
            `α=${be === null ? "none (no acceptance pays)" : formatNumber(be, 3)} (K=1: ${be1 === null ? "none" : formatNumber(be1, 3)}); ` +
            `at T=${p.t0} the pair's ${alphaLabel(fit.alpha, fit.alphaSource, fit.alphaFrom)}${margin}.`,
          [
            {
              hostId: p.hostId,
              pair: p.pair,
              k,
              c: fit.c,
              cSource: fit.cSource ?? null,
              v: measuredV ?? null,
              breakEvenAlpha: be,
              alpha: fit.alpha ?? null,
              alphaSource: fit.alphaSource ?? null,
            },
          ],
          noise,
          {
            where,
            k,
            breakEven: be,
            ...(fit.alpha === undefined ? {} : { alpha: fit.alpha }),
            ...(fit.alphaSource === undefined ? {} : { alphaSource: fit.alphaSource }),
            ...(fit.alphaFrom === undefined ? {} : { alphaFrom: fit.alphaFrom }),
          },
        ),
      ];
    });
  },
  headline(xs) {
    const x = xs[0]!;
    const theirs =
      x.alpha === undefined
        ? "its α is unknown"
        : `its α=${formatNumber(x.alpha, 3)} (${alphaSourceText(x.alphaSource, x.alphaFrom)}) is ${x.breakEven !== null && x.alpha >= x.breakEven ? "above" : "below"} it`;
    const above = xs.filter((y) => y.alpha !== undefined && y.breakEven !== null && y.alpha >= y.breakEven);
    return (
      `K=${x.k} breaks even at α=${x.breakEven === null ? "none (no acceptance pays)" : formatNumber(x.breakEven, 3)} ` +
      `for ${x.where}, and ${theirs}` +
      (xs.length > 1 ? `; ${above.length} of ${xs.length} host/pairs are above their break-even.` : ".")
    );
  },
};
