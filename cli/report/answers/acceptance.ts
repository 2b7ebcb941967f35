// What is the acceptance rate? Pooled per (host, pair, K, temperature) as Σ accepted / Σ drafted (per-run
// means secondary), with the K-free per-token α beside it; a group from one run cannot answer.
import { formatPct } from "../format-number.js";
import type { NoiseNote } from "../noise-check.js";
import { temperaturesOf } from "./answer-context.js";
import { subject, type Question } from "./answer.js";
import { alphaLabel } from "./labels.js";

interface Pooled {
  where: string;
  rate: number;
  accepted: number;
  drafted: number;
}

const describe = (x: Pooled): string =>
  `${formatPct(x.rate)} (${x.where}, ${x.accepted}/${x.drafted} drafted tokens)`;

export const acceptance: Question<Pooled[]> = {
  id: "acceptance",
  title: "What is the acceptance rate?",
  subjectsAre: "host/pair/temperature settings",
  noData: "No valid speculative results in this sweep.",
  rule:
    "Acceptance is pooled per host, pair, K and temperature as Σ accepted / Σ drafted (with fixed K it falls " +
    "mechanically as K grows, so K values are never mixed); the per-token α is K-free.",
  subjects({ pairs, fitAt }) {
    return pairs.flatMap((p) =>
      temperaturesOf(p.groups).flatMap((t) => {
        const gs = p.groups.filter((g) => g.temperature === t && g.acceptPooled.rate !== undefined);
        if (gs.length === 0) return [];
        const fit = fitAt(p.hostId, p.pair, t);
        const kText = (g: (typeof gs)[number]): string => (g.adaptive ? `≤${g.k} adaptive` : `${g.k}`);
        const noise = gs.flatMap((g): NoiseNote[] =>
          g.acceptPooled.runs < 2
            ? [
                {
                  cause: "few-runs",
                  text: `${p.hostId}, ${p.pair}, T=${t}, K=${g.k}: acceptance from ${g.acceptPooled.runs} run(s) only`,
                },
              ]
            : [],
        );
        return [
          subject(
            `${p.hostId}, ${p.pair}, T=${t}: ` +
              gs
                .map(
                  (g) =>
                    `K=${kText(g)} ${formatPct(g.acceptPooled.rate)} (${g.acceptPooled.nAccept}/${g.acceptPooled.nDrafted} drafted tokens, ${g.acceptPooled.runs} runs; per-run mean ${formatPct(g.acceptRate.mean)})`,
                )
                .join(", ") +
              `; per-token ${alphaLabel(fit?.alpha, fit?.alphaSource, fit?.alphaFrom)}.`,
            gs.map((g) => ({
              hostId: p.hostId,
              pair: p.pair,
              temperature: t,
              k: g.k,
              adaptive: g.adaptive,
              pooledAcceptRate: g.acceptPooled.rate ?? null,
              accepted: g.acceptPooled.nAccept,
              drafted: g.acceptPooled.nDrafted,
              runs: g.acceptPooled.runs,
              meanAcceptRate: g.acceptRate.mean,
            })),
            noise,
            gs.map((g) => ({
              where: `${p.hostId}, ${p.pair}, K=${kText(g)}, T=${t}`,
              rate: g.acceptPooled.rate!,
              accepted: g.acceptPooled.nAccept,
              drafted: g.acceptPooled.nDrafted,
            })),
          ),
        ];
      }),
    );
  },
  headline(settings) {
    const all = settings.flat().sort((x, y) => y.rate - x.rate);
    const top = all[0]!;
    const low = all[all.length - 1]!;
    return all.length === 1
      ? `Pooled acceptance is ${describe(top)}.`
      : `Pooled acceptance runs from ${describe(top)} down to ${describe(low)} over ${all.length} settings that answer.`;
  },
};
