// How do aligned and misaligned pairs compare? A pair is aligned when its per-token α at the lowest
// temperature (K-free, unlike accepted/drafted) reaches ALIGNED_ACCEPTANCE; an α near the line is borderline.
import { ALIGNED_ACCEPTANCE, alignmentOf, pairAlphaAt } from "../alignment.js";
import { bestGroup } from "../best-group.js";
import { formatNumber } from "../format-number.js";
import type { NoiseNote } from "../noise-check.js";
import { temperaturesOf, uniq } from "./answer-context.js";
import { subject, type Question } from "./answer.js";

interface Class {
  aligned: boolean | null;
  bestSpeedup: number | null;
}

const best = (xs: Class[]): number | null =>
  xs.reduce<number | null>(
    (b, x) => (x.bestSpeedup !== null && (b === null || x.bestSpeedup > b) ? x.bestSpeedup : b),
    null,
  );

export const alignedVsMisaligned: Question<Class> = {
  id: "aligned-vs-misaligned",
  title: "How do aligned and misaligned pairs compare?",
  subjectsAre: "pairs",
  noData: "No valid speculative results in this sweep.",
  rule: `Pairs are called aligned when their per-token acceptance α at the lowest temperature is at least ${formatNumber(ALIGNED_ACCEPTANCE, 2)}.`,
  subjects({ analysis: a }) {
    return uniq(a.speculative.map((g) => g.pair)).map((pair) => {
      const gs = a.speculative.filter((g) => g.pair === pair);
      const t0 = temperaturesOf(gs)[0]!;
      const { alpha, fits } = pairAlphaAt(a.fits, pair, t0);
      const sources = uniq(fits.map((f) => f.alphaSource ?? "fitted"));
      const alphaSource = sources.length === 1 ? sources[0]! : sources.length === 0 ? null : "mixed";
      const speedups = uniq(gs.map((g) => g.hostId)).flatMap((h) => {
        const s = bestGroup(gs.filter((g) => g.hostId === h && g.temperature === t0))?.speedup;
        return s === undefined ? [] : [s];
      });
      const bestSpeedup = speedups.length === 0 ? null : Math.max(...speedups);
      const aligned = alpha === undefined ? null : alignmentOf(alpha) === "aligned";
      const noise: NoiseNote[] =
        alpha !== undefined && Math.abs(alpha - ALIGNED_ACCEPTANCE) < 0.05
          ? [
              {
                cause: "borderline",
                text: `${pair}: α=${formatNumber(alpha, 3)} is within 0.05 of the ${ALIGNED_ACCEPTANCE} line: the class is borderline`,
              },
            ]
          : [];
      return subject(
        `${pair} (${aligned === null ? "unclassified" : aligned ? "aligned" : "misaligned"}): α=${formatNumber(alpha, 3)} (${String(alphaSource)}) at T=${t0}, best speedup ${formatNumber(bestSpeedup)}x.`,
        [{ pair, temperature: t0, alpha: alpha ?? null, alphaSource, aligned, bestSpeedup }],
        noise,
        { aligned, bestSpeedup },
      );
    });
  },
  headline(xs) {
    const aligned = xs.filter((x) => x.aligned === true);
    const misaligned = xs.filter((x) => x.aligned === false);
    const reach = [
      ...(aligned.length > 0 ? [`the best aligned pair reaches ${formatNumber(best(aligned))}x`] : []),
      ...(misaligned.length > 0 ? [`the best misaligned one ${formatNumber(best(misaligned))}x`] : []),
    ];
    return `${aligned.length} of the ${xs.length} pair(s) that answer are aligned${reach.length > 0 ? `: ${reach.join(", ")}` : ""}.`;
  },
};
