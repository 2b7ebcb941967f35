// What several report questions are asked of, computed once per report: each (host, pair) with its groups,
// its lowest temperature and the best setting there, and the (host, pair, temperature) fit.
import { describeContention, mergeContention } from "../../../core/stats/summarize-contention.js";
import { bestGroup } from "../best-group.js";
import { isContended, speedupNoiseNote, type NoiseNote } from "../noise-check.js";
import type { FitGroup, SpeculativeGroup, SweepAnalysis } from "../sweep-analysis.js";

export interface HostPair {
  hostId: string;
  pair: string;
  groups: SpeculativeGroup[];
  /** The lowest temperature measured for this host and pair. */
  t0: number;
  /** The best setting at t0 (cli/report/best-group.ts). */
  best?: SpeculativeGroup;
  /** The fit at t0. */
  fit?: FitGroup;
}

export interface AnswerContext {
  analysis: SweepAnalysis;
  /** Every (host, pair) with speculative groups, in the analysis's order. */
  pairs: HostPair[];
  fitAt: (hostId: string, pair: string, temperature: number) => FitGroup | undefined;
}

export const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];

/** The distinct temperatures of these groups, lowest first. */
export const temperaturesOf = (groups: ReadonlyArray<{ temperature: number }>): number[] =>
  uniq(groups.map((g) => g.temperature)).sort((x, y) => x - y);

export function answerContext(a: SweepAnalysis): AnswerContext {
  const fitAt = (hostId: string, pair: string, temperature: number): FitGroup | undefined =>
    a.fits.find((f) => f.hostId === hostId && f.pair === pair && f.temperature === temperature);
  const keys = uniq(a.speculative.map((g) => `${g.hostId}\u0000${g.pair}`));
  const pairs = keys.map((key): HostPair => {
    const [hostId = "", pair = ""] = key.split("\u0000");
    const groups = a.speculative.filter((g) => g.hostId === hostId && g.pair === pair);
    const t0 = temperaturesOf(groups)[0]!;
    const best = bestGroup(groups.filter((g) => g.temperature === t0));
    const fit = fitAt(hostId, pair, t0);
    return { hostId, pair, groups, t0, ...(best === undefined ? {} : { best }), ...(fit ? { fit } : {}) };
  });
  return { analysis: a, pairs, fitAt };
}

/**
 * The best setting among these groups (one host, pair and temperature) and why it cannot answer: its own
 * speedup's noise, or, where no setting is left because the others ran under contention, that contention.
 * Undefined best with no noise: no setting has a speedup or every draft went unaccepted.
 */
export function bestWithNoise(
  groups: SpeculativeGroup[],
  where: string,
): { best?: SpeculativeGroup; noise: NoiseNote[] } {
  const best = bestGroup(groups);
  if (best !== undefined) {
    const note = speedupNoiseNote(best);
    return { best, noise: note === undefined ? [] : [note] };
  }
  const contended = groups.filter(
    (g) => isContended(g) && g.speedup !== undefined && !g.adaptive && g.noneAccepted !== true,
  );
  if (contended.length === 0) return { noise: [] };
  return {
    noise: [
      {
        cause: "contended",
        text: `${where}: every setting with a speedup ran under contention (${contended.length}; ${describeContention(
          contended.map((g) => g.contention!).reduce(mergeContention),
        )}), so none is used`,
      },
    ],
  };
}
