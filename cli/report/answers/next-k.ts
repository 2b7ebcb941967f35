// Why does the next K not double the gain? Doubling K raises the expected tokens per target step less than
// it raises the step's cost; per host and pair at the best K of the lowest temperature.
import { expectedTokensPerStep } from "../../../core/theory/expected-speedup.js";
import { formatNumber, formatPct } from "../format-number.js";
import { speedupNoiseNote } from "../noise-check.js";
import { subject, type Question } from "./answer.js";
import { costLabel, theoryAlphaLabel } from "./labels.js";

interface NextK {
  where: string;
  k1: number;
  k2: number;
  tokensGain: number;
  costGain: number;
}

export const nextK: Question<NextK> = {
  id: "next-k",
  title: "Why does the next K not double the gain?",
  subjectsAre: "host/pair settings",
  noData: "No α and c (needs speculative and baseline results at several K).",
  subjects({ pairs }) {
    return pairs.flatMap((p) => {
      const { fit, best } = p;
      const alpha = fit?.theoryAlpha;
      if (best === undefined || alpha === undefined || fit?.c === undefined) return [];
      const c = fit.c;
      const k1 = best.k;
      const k2 = 2 * k1;
      const e1 = expectedTokensPerStep(alpha, k1);
      const e2 = expectedTokensPerStep(alpha, k2);
      // the verification pass's cost where it was measured at that K; the textbook 1 pass otherwise
      const v1 = fit.cSource === "measured" ? (fit.vByK[k1] ?? 1) : 1;
      const v2 = fit.cSource === "measured" ? (fit.vByK[k2] ?? 1) : 1;
      const cost1 = v1 + k1 * c;
      const cost2 = v2 + k2 * c;
      const measured2 = p.groups.find((g) => g.temperature === p.t0 && g.k === k2 && !g.adaptive);
      const vNote =
        fit.cSource === "measured" && fit.vByK[k2] === undefined
          ? ` (v(${k2}) was not measured: 1 target pass assumed)`
          : "";
      const noise = [best, measured2].flatMap((g) => {
        const note = g === undefined ? undefined : speedupNoiseNote(g);
        return note === undefined ? [] : [note];
      });
      const where = `${p.hostId}, ${p.pair}`;
      return [
        subject(
          `${where}: going from K=${k1} to K=${k2} raises the expected tokens per target step from ` +
            `${formatNumber(e1)} to ${formatNumber(e2)} (+${formatPct(e2 / e1 - 1)}; the ceiling is 1/(1-α) = ${alpha >= 1 ? "none (α = 1)" : formatNumber(1 / (1 - alpha))} at ${theoryAlphaLabel(fit)}) ` +
            `while the step's cost grows from ${formatNumber(cost1)} to ${formatNumber(cost2)} target passes (+${formatPct(cost2 / cost1 - 1)}; ${costLabel(fit)})${vNote}: ` +
            `theory ${formatNumber(e1 / cost1)}x -> ${formatNumber(e2 / cost2)}x` +
            (measured2?.speedup === undefined
              ? ` (K=${k2} was not measured).`
              : `; measured ${formatNumber(best.speedup)}x -> ${formatNumber(measured2.speedup)}x.`),
          [
            {
              hostId: p.hostId,
              pair: p.pair,
              k1,
              k2,
              tokensPerStep1: e1,
              tokensPerStep2: e2,
              cost1,
              cost2,
              costSource: fit.cSource ?? null,
            },
          ],
          noise,
          { where, k1, k2, tokensGain: e2 / e1 - 1, costGain: cost2 / cost1 - 1 },
        ),
      ];
    });
  },
  headline(xs) {
    const x = xs[0]!;
    return (
      `Doubling K from ${x.k1} to ${x.k2} adds ${formatPct(x.tokensGain)} tokens per target step but ` +
      `${formatPct(x.costGain)} to the step's cost (${x.where}` +
      (xs.length > 1 ? `; ${xs.length - 1} more host/pair(s) in the details).` : ").")
    );
  },
};
