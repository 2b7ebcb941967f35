// At which temperature does speculation stop paying? Per host and pair, the first temperature whose best
// setting is slower than the target alone; an interval containing 1 leaves that temperature unsettled.
import { formatCi, formatNumber } from "../format-number.js";
import type { NoiseNote } from "../noise-check.js";
import type { SpeculativeGroup } from "../sweep-analysis.js";
import { bestWithNoise, temperaturesOf } from "./answer-context.js";
import { subject, type Question } from "./answer.js";

interface Stop {
  where: string;
  /** never: not even at the lowest temperature; stops: at t; still: pays at the highest (t); dead: no draft accepted. */
  kind: "never" | "stops" | "still" | "dead";
  t?: number;
}

const reaches = (g: SpeculativeGroup): string =>
  `${formatNumber(g.speedup)}x (95% CI ${formatCi(g.speedupCi95)})`;

export const temperatureStopsPaying: Question<Stop> = {
  id: "temperature-stops-paying",
  title: "At which temperature does speculation stop paying?",
  subjectsAre: "host/pairs",
  noData: "No valid speculative results in this sweep.",
  subjects({ pairs }) {
    return pairs.map((p) => {
      const where = `${p.hostId}, ${p.pair}`;
      const temps = temperaturesOf(p.groups);
      const bests = temps.map((t) => ({
        t,
        ...bestWithNoise(
          p.groups.filter((g) => g.temperature === t),
          `${where}, T=${t}`,
        ),
      }));
      const stop = bests.find((b) => b.best?.speedup !== undefined && b.best.speedup < 1);
      const last = bests[bests.length - 1];
      const noise = bests.flatMap((b): NoiseNote[] => {
        const ci = b.best?.speedupCi95;
        if (b.noise.length > 0) return b.noise;
        if (ci !== undefined && ci[0] <= 1 && 1 <= ci[1])
          return [
            {
              cause: "straddles-one",
              text: `${where}, T=${b.t}: the best setting's 95% interval ${formatCi(ci)} contains 1, so whether it pays there is not settled`,
            },
          ];
        return [];
      });
      let line: string;
      let headline: Stop;
      if (stop !== undefined && stop.t === temps[0]) {
        line = `${where}: does not pay even at the lowest temperature measured, T=${stop.t}: the best K there (K=${stop.best!.k}) reaches ${reaches(stop.best!)}.`;
        headline = { where, kind: "never", t: stop.t };
      } else if (stop !== undefined) {
        line = `${where}: stops paying at T=${stop.t}: the best K there (K=${stop.best!.k}) reaches only ${reaches(stop.best!)}.`;
        headline = { where, kind: "stops", t: stop.t };
      } else if (last?.best !== undefined) {
        line = `${where}: still pays at the highest temperature measured, T=${last.t} (best K=${last.best.k}, ${formatNumber(last.best.speedup)}x, 95% CI ${formatCi(last.best.speedupCi95)}).`;
        headline = { where, kind: "still", t: last.t };
      } else if (noise.length > 0) {
        line = `${where}: every setting with a speedup ran under contention, so none answers.`;
        headline = { where, kind: "dead" };
      } else {
        line = `${where}: no setting accepted a draft token, so speculation never paid.`;
        headline = { where, kind: "dead" };
      }
      return subject(
        line,
        [{ hostId: p.hostId, pair: p.pair, stopsAtTemperature: stop?.t ?? null }],
        noise,
        headline,
      );
    });
  },
  headline(xs) {
    const stops = xs.filter((x) => x.kind === "stops").sort((x, y) => x.t! - y.t!);
    const still = xs.filter((x) => x.kind === "still");
    const never = xs.filter((x) => x.kind === "never" || x.kind === "dead");
    if (xs.length === 1) {
      const x = xs[0]!;
      return x.kind === "stops"
        ? `Speculation stops paying at T=${x.t} (${x.where}).`
        : x.kind === "still"
          ? `Speculation still pays at the highest temperature measured, T=${x.t} (${x.where}).`
          : `Speculation does not pay at any temperature measured (${x.where}).`;
    }
    const parts = [
      ...(still.length > 0 ? [`${still.length} still pay at the highest temperature measured`] : []),
      ...(stops.length > 0
        ? [`${stops.length} stop paying (the first at T=${stops[0]!.t}, ${stops[0]!.where})`]
        : []),
      ...(never.length > 0 ? [`${never.length} never pay`] : []),
    ];
    return `Of the ${xs.length} host/pairs that answer, ${parts.join(", ")}.`;
  },
};
