// What is the baseline decode throughput? Per host and target, pooled over temperatures, each temperature's
// mean with its interval; a contended or too-noisy temperature leaves the host's figure unanswered.
import { pooledMean } from "../../../core/metrics.js";
import { describeContention } from "../../../core/stats/summarize-contention.js";
import { formatNumber, formatSummary } from "../format-number.js";
import { isContended, noiseNote, type NoiseNote } from "../noise-check.js";
import { uniq } from "./answer-context.js";
import { subject, type Question } from "./answer.js";

interface Baseline {
  hostId: string;
  target: string;
  meanDecodeTps?: number;
  n: number;
}

const where = (b: Baseline): string => `${b.hostId}, ${b.target}`;

export const baselineTps: Question<Baseline> = {
  id: "baseline-tps",
  title: "What is the baseline decode throughput?",
  subjectsAre: "host/target baselines",
  noData: "No valid baseline results in this sweep.",
  subjects({ analysis: a }) {
    return uniq(a.baselines.map((b) => `${b.hostId}\u0000${b.target}`)).map((key) => {
      const [hostId = "", target = ""] = key.split("\u0000");
      const groups = a.baselines.filter((b) => b.hostId === hostId && b.target === target);
      const { mean, n } = pooledMean(groups.map((g) => g.decodeTps));
      const noise = groups.flatMap((g): NoiseNote[] => {
        const what = `${hostId}, ${target}, T=${g.temperature}: baseline t/s`;
        if (isContended(g))
          return [{ cause: "contended", text: `${what}: ${describeContention(g.contention!)}` }];
        const note = noiseNote(g.decodeTps.ci95, g.decodeTps.n, what);
        return note === undefined ? [] : [note];
      });
      return subject(
        `${hostId}, ${target}: ${formatNumber(mean, 1)} t/s decode on average over ${n} runs; by temperature: ` +
          groups.map((g) => `T=${g.temperature}: ${formatSummary(g.decodeTps, 1)}`).join("; ") +
          ".",
        [{ hostId, target, meanDecodeTps: mean ?? null, n }],
        noise,
        { hostId, target, n, ...(mean === undefined ? {} : { meanDecodeTps: mean }) },
      );
    });
  },
  headline(bs) {
    const sorted = [...bs].sort((x, y) => (y.meanDecodeTps ?? -1) - (x.meanDecodeTps ?? -1));
    const top = sorted[0]!;
    const low = sorted[sorted.length - 1]!;
    if (sorted.length === 1)
      return `Without a draft, ${where(top)} decodes ${formatNumber(top.meanDecodeTps, 1)} t/s (mean of ${top.n} runs).`;
    return (
      `Without a draft, decode runs from ${formatNumber(top.meanDecodeTps, 1)} t/s (${where(top)}) down to ` +
      `${formatNumber(low.meanDecodeTps, 1)} t/s (${where(low)}) across ${sorted.length} host/target baselines.`
    );
  },
};
