// Does batching keep the gain? Every draft measured under batching against the target alone at each
// concurrency level, with the gain's interval; a draft with no run without it to compare with is named too.
import { pairLabel } from "../../../core/cell.js";
import { ratioInterval } from "../../../core/stats/ratio-interval.js";
import { describeContention } from "../../../core/stats/summarize-contention.js";
import { formatCi, formatNumber } from "../format-number.js";
import { isContended, noiseNote, type NoiseNote } from "../noise-check.js";
import type { ParallelGroup } from "../sweep-analysis.js";
import { uniq } from "./answer-context.js";
import { subject, type Question, type Subject } from "./answer.js";

interface Gain {
  where: string;
  n: number;
  gain: number;
  ci95: [number, number];
}

interface LevelGain extends Gain {
  runs: number;
  without: ParallelGroup;
  withDraft: ParallelGroup;
}

function verdictOf(first: LevelGain, last: LevelGain): string {
  if (last.gain < 1)
    return `at ${last.n} sequences the draft costs throughput (${formatNumber(last.withDraft.aggregateTps.mean, 1)} vs ${formatNumber(last.without.aggregateTps.mean, 1)} t/s).`;
  if (first.gain < 1) return `the draft does not pay at ${first.n} sequence(s) but does at ${last.n}.`;
  return `the gain ${last.gain >= first.gain * 0.95 ? "holds" : "shrinks but stays above 1"} up to ${last.n} sequences.`;
}

export const batching: Question<Gain> = {
  id: "batching",
  title: "Does batching keep the gain?",
  subjectsAre: "drafts under batching",
  noData: "No parallel cells with and without a draft in this sweep: batching was not measured.",
  subjects({ analysis: a }) {
    return uniq(a.parallel.map((p) => `${p.hostId}\u0000${p.target}`)).flatMap((key) => {
      const [hostId = "", target = ""] = key.split("\u0000");
      const ps = a.parallel.filter((p) => p.hostId === hostId && p.target === target);
      const drafts = uniq(ps.flatMap((p) => (p.draft === undefined ? [] : [p.draft]))).sort();
      return drafts.map((draft): Subject<Gain> => {
        const where = `${hostId}, ${pairLabel(target, draft)}`;
        const levels = uniq(ps.filter((p) => p.draft === draft).map((p) => p.concurrency)).sort(
          (x, y) => x - y,
        );
        const gains = levels.flatMap((n): LevelGain[] => {
          const without = ps.find((p) => p.concurrency === n && p.draft === undefined);
          const withDraft = ps.find((p) => p.concurrency === n && p.draft === draft);
          if (without === undefined || withDraft === undefined) return [];
          const r = ratioInterval(withDraft.aggregateTpsValues, without.aggregateTpsValues, {
            paired: false,
          });
          const runs = Math.min(withDraft.aggregateTps.n, without.aggregateTps.n);
          return [{ where, n, gain: r.ratio, ci95: r.ci95, runs, without, withDraft }];
        });
        const first = gains[0];
        const last = gains[gains.length - 1];
        if (first === undefined || last === undefined)
          return {
            line: `${where}: no run without the draft at ${levels.join(", ")} sequence(s) to compare with.`,
            numbers: [],
            noise: [
              {
                cause: "unpaired",
                text: `${where}: the target alone was not run at ${levels.join(", ")} sequence(s), so the draft's batching gain is unknown`,
              },
            ],
          };
        const noise: NoiseNote[] = [];
        const numbers = gains.map((g) => {
          const contended = isContended(g.withDraft) || isContended(g.without);
          const what = `${where} at ${g.n} sequence(s)`;
          if (contended)
            noise.push({
              cause: "contended",
              text: `${what}: ${describeContention(isContended(g.withDraft) ? g.withDraft.contention! : g.without.contention!)}, so its gain is not used`,
            });
          const note = noiseNote(g.ci95, g.runs, `${what}: the batching gain`);
          if (note !== undefined) noise.push(note);
          return {
            hostId,
            target,
            draft,
            concurrency: g.n,
            gain: g.gain,
            gainCiLow: g.ci95[0],
            gainCiHigh: g.ci95[1],
            runs: g.runs,
            contended,
          };
        });
        return subject(
          `${where}: the draft multiplies aggregate throughput by ${gains.map((g) => `${formatNumber(g.gain)}x (95% CI ${formatCi(g.ci95)}) at ${g.n} sequence(s)`).join(", ")}; ` +
            verdictOf(first, last),
          numbers,
          noise,
          { where, n: last.n, gain: last.gain, ci95: last.ci95 },
        );
      });
    });
  },
  headline(xs) {
    const describe = (x: Gain): string =>
      `${formatNumber(x.gain)}x (95% CI ${formatCi(x.ci95)}) at ${x.n} sequence(s) (${x.where})`;
    if (xs.length === 1)
      return `At its highest concurrency the draft multiplies aggregate throughput by ${describe(xs[0]!)}.`;
    const sorted = [...xs].sort((x, y) => y.gain - x.gain);
    return (
      `At their highest concurrency the ${xs.length} drafts multiply aggregate throughput by ` +
      `${describe(sorted[0]!)} down to ${describe(sorted[sorted.length - 1]!)}.`
    );
  },
};
