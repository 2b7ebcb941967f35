// Which K is best per host and pair? Per temperature, the best measured fixed K against the theory's
// ranking; a best K whose interval overlaps a runner-up's cannot be told from it.
import { formatCi, formatNumber } from "../format-number.js";
import type { NoiseNote } from "../noise-check.js";
import { bestWithNoise, temperaturesOf } from "./answer-context.js";
import { subject, type Question, type Subject } from "./answer.js";
import { theoryAlphaLabel } from "./labels.js";

interface BestK {
  where: string;
  k: number;
  speedup: number;
}

export const bestK: Question<BestK> = {
  id: "best-k",
  title: "Which K is best per host and pair?",
  subjectsAre: "host/pair/temperature settings",
  noData: "No valid speculative results in this sweep.",
  subjects({ pairs, fitAt }) {
    return pairs.flatMap((p) =>
      temperaturesOf(p.groups).flatMap((t): Array<Subject<BestK>> => {
        const where = `${p.hostId}, ${p.pair}, T=${t}`;
        const atT = p.groups.filter((g) => g.temperature === t);
        const { best, noise } = bestWithNoise(atT, where);
        if (best?.speedup === undefined)
          return noise.length === 0 ? [] : [{ line: `${where}: no K is used.`, numbers: [], noise }];
        const fit = fitAt(p.hostId, p.pair, t);
        const theoryWhat =
          fit?.cSource === "measured"
            ? `the theory at the measured costs (${theoryAlphaLabel(fit)}) ranks K=${fit.bestK ?? "n/a"} first among the measured K (${formatNumber(fit.bestKSpeedup)}x)`
            : `the fitted theory predicts K=${fit?.bestK ?? "n/a"} (${formatNumber(fit?.bestKSpeedup)}x)`;
        // a runner-up whose interval overlaps the best one's cannot be told apart from it
        const ties = atT.filter(
          (g) =>
            g !== best &&
            !g.adaptive &&
            g.noneAccepted !== true &&
            g.speedupCi95 !== undefined &&
            best.speedupCi95 !== undefined &&
            g.speedupCi95[1] >= best.speedupCi95[0],
        );
        const tieNote: NoiseNote[] =
          ties.length === 0
            ? []
            : [
                {
                  cause: "tied",
                  text: `${where}: K=${best.k} cannot be told from K=${ties.map((g) => g.k).join(", K=")} (their 95% intervals overlap)`,
                },
              ];
        return [
          subject(
            `${where}: best measured K=${best.k} (speedup ${formatNumber(best.speedup)}x, 95% CI ${formatCi(best.speedupCi95)}); ${theoryWhat}.`,
            [
              {
                hostId: p.hostId,
                pair: p.pair,
                temperature: t,
                bestK: best.k,
                speedup: best.speedup,
                predictedBestK: fit?.bestK ?? null,
                predictedFrom: fit?.cSource ?? null,
                distinguishable: ties.length === 0,
              },
            ],
            [...noise, ...tieNote],
            { where, k: best.k, speedup: best.speedup },
          ),
        ];
      }),
    );
  },
  headline(xs) {
    const top = xs.reduce((b, x) => (x.speedup > b.speedup ? x : b));
    const ks = [...new Set(xs.map((x) => x.k))].sort((x, y) => x - y);
    if (xs.length === 1) return `K=${top.k} is best at ${top.where} (${formatNumber(top.speedup)}x).`;
    return ks.length === 1
      ? `K=${top.k} is best in all ${xs.length} settings that answer, up to ${formatNumber(top.speedup)}x (${top.where}).`
      : `The best K runs from K=${ks[0]} to K=${ks[ks.length - 1]} over the ${xs.length} settings that answer; the highest speedup is ${formatNumber(top.speedup)}x at K=${top.k} (${top.where}).`;
  },
};
