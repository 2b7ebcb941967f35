// How does temperature move acceptance? The per-token α (K-free) at each temperature, per host and pair,
// and its slope from the lowest temperature to the highest.
import { formatNumber } from "../format-number.js";
import type { NoiseNote } from "../noise-check.js";
import { uniq } from "./answer-context.js";
import { subject, type Question } from "./answer.js";
import { alphaSourceText } from "./labels.js";

interface Slope {
  where: string;
  slope: number;
  lo: { alpha: number; t: number };
  hi: { alpha: number; t: number };
}

const moves = (slope: number): string =>
  `${slope < 0 ? "falls" : "rises"} by ${formatNumber(Math.abs(slope) * 100, 1)} points per unit of temperature`;

export const temperatureAcceptance: Question<Slope> = {
  id: "temperature-acceptance",
  title: "How does temperature move acceptance?",
  subjectsAre: "host/pairs",
  noData: "Fewer than two temperatures measured: no temperature effect to report.",
  subjects({ analysis: a, pairs }) {
    return pairs.flatMap((p) => {
      const byTemp = a.fits
        .filter((f) => f.hostId === p.hostId && f.pair === p.pair && f.alpha !== undefined)
        .sort((x, y) => x.temperature - y.temperature);
      const lo = byTemp[0];
      const hi = byTemp[byTemp.length - 1];
      // fits are per temperature, so two of them span a temperature range
      if (lo === undefined || hi === undefined || hi.temperature === lo.temperature) return [];
      const slope = (hi.alpha! - lo.alpha!) / (hi.temperature - lo.temperature);
      const sources = uniq(byTemp.map((f) => `(${alphaSourceText(f.alphaSource, f.alphaFrom)})`));
      const noise = byTemp.flatMap((f): NoiseNote[] => {
        const runs = p.groups
          .filter((g) => g.temperature === f.temperature)
          .reduce((n, g) => n + g.acceptPooled.runs, 0);
        return runs < 2
          ? [
              {
                cause: "few-runs",
                text: `${p.hostId}, ${p.pair}, T=${f.temperature}: α from ${runs} run(s) only`,
              },
            ]
          : [];
      });
      const where = `${p.hostId}, ${p.pair}`;
      return [
        subject(
          `${where}: per-token acceptance α ${byTemp.map((f) => `${formatNumber(f.alpha, 3)} at T=${f.temperature}`).join(", ")} ${sources.join(", ")}; ` +
            `${moves(slope)}.`,
          [
            {
              hostId: p.hostId,
              pair: p.pair,
              alphaLowT: lo.alpha!,
              alphaHighT: hi.alpha!,
              alphaSource: lo.alphaSource ?? null,
              lowT: lo.temperature,
              highT: hi.temperature,
              slopePerUnitT: slope,
            },
          ],
          noise,
          {
            where,
            slope,
            lo: { alpha: lo.alpha!, t: lo.temperature },
            hi: { alpha: hi.alpha!, t: hi.temperature },
          },
        ),
      ];
    });
  },
  headline(xs) {
    const x = xs.reduce((b, y) => (Math.abs(y.slope) > Math.abs(b.slope) ? y : b));
    return (
      `Per-token acceptance α ${moves(x.slope)} at ${x.where} (${formatNumber(x.lo.alpha, 3)} at T=${x.lo.t} to ` +
      `${formatNumber(x.hi.alpha, 3)} at T=${x.hi.t})${xs.length > 1 ? `, the steepest of ${xs.length} host/pairs` : ""}.`
    );
  },
};
