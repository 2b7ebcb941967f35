// Production recommendations, each derived from a measured figure and citing it. No fixed advice: a
// recommendation appears only when the numbers behind it are in the sweep.
import { pairLabel } from "../../core/cell.js";
import { describeContention, mergeContention } from "../../core/stats/summarize-contention.js";
import type { Answer } from "./answer-questions.js";
import { bestGroup } from "./best-group.js";
import { isContended } from "./noise-check.js";
import { formatCi, formatNumber } from "./format-number.js";
import type { SweepAnalysis } from "./sweep-analysis.js";

export function recommend(a: SweepAnalysis, answers: Answer[]): string[] {
  const out: string[] = [];
  const hostPairs = [...new Set(a.speculative.map((g) => `${g.hostId}\u0000${g.pair}`))];
  for (const key of hostPairs) {
    const [hostId = "", pair = ""] = key.split("\u0000");
    const groups = a.speculative.filter((g) => g.hostId === hostId && g.pair === pair);
    const temps = [...new Set(groups.map((g) => g.temperature))].sort((x, y) => x - y);
    const paying = temps
      .map((t) => ({ t, best: bestGroup(groups.filter((g) => g.temperature === t)) }))
      .filter((b) => b.best?.speedupCi95 !== undefined && b.best.speedupCi95[0] > 1);
    if (groups.every((g) => g.noneAccepted === true)) {
      out.push(
        `${hostId}, ${pair}: do not enable speculative decoding: the target accepted none of the draft's tokens in any setting.`,
      );
      continue;
    }
    const contended = groups.filter((g) => isContended(g));
    if (paying.length === 0 && contended.length > 0) {
      // what ran under contention is shown but never recommended from, for or against
      out.push(
        `${hostId}, ${pair}: no recommendation from ${contended.length} of ${groups.length} setting(s) that ran under contention (${describeContention(contended.map((g) => g.contention!).reduce(mergeContention))}); ` +
          `rerun them on an idle host.`,
      );
      if (contended.length === groups.length) continue;
    }
    if (paying.length === 0) {
      const overall = bestGroup(groups);
      out.push(
        `${hostId}, ${pair}: do not enable speculative decoding: no setting's 95% interval lies above 1 ` +
          `(best K=${overall?.k ?? "n/a"}, ${formatNumber(overall?.speedup)}x, CI ${formatCi(overall?.speedupCi95)}).`,
      );
      continue;
    }
    const first = paying[0]!;
    const last = paying[paying.length - 1]!;
    const ks = [...new Set(paying.map((p) => p.best!.k))];
    out.push(
      `${hostId}, ${pair}: enable speculation with K=${ks.length === 1 ? ks[0] : ks.join("/")} ` +
        `(per temperature: ${paying.map((p) => `T=${p.t} K=${p.best!.k} ${formatNumber(p.best!.speedup)}x`).join(", ")}) ` +
        `for temperatures ${first.t === last.t ? `of ${first.t}` : `from ${first.t} to ${last.t}`}` +
        (last.t < temps[temps.length - 1]!
          ? `; turn it off above T=${last.t}, where the gain is no longer clear.`
          : "."),
    );
  }
  const batching = answers.find((x) => x.id === "batching");
  const batchKeys = [
    ...new Set(
      batching?.numbers.map((n) => `${String(n.hostId)}\u0000${String(n.target)}\u0000${String(n.draft)}`) ??
        [],
    ),
  ];
  for (const key of batchKeys) {
    const [hostId = "", target = "", draft = ""] = key.split("\u0000");
    const where = `${hostId}, ${pairLabel(target, draft)}`;
    const gains = batching!.numbers.filter(
      (n) => n.hostId === hostId && n.target === target && n.draft === draft,
    );
    // a gain counts only where its interval settles the side of 1
    const clean = gains.filter((g) => g.contended !== true);
    const losing = clean.filter((g) => typeof g.gainCiHigh === "number" && g.gainCiHigh < 1);
    const keeping = clean.filter((g) => typeof g.gainCiLow === "number" && g.gainCiLow > 1);
    if (losing.length > 0) {
      out.push(
        `${where}: under batching, run without the draft from ${String(losing[0]!.concurrency)} concurrent sequences ` +
          `(the draft gives ${formatNumber(losing[0]!.gain as number)}x there, 95% CI ${formatCi([losing[0]!.gainCiLow as number, losing[0]!.gainCiHigh as number])}).`,
      );
    } else if (keeping.length > 0 && keeping.length === gains.length) {
      const last = keeping[keeping.length - 1]!;
      out.push(
        `${where}: keep the draft under batching up to ${String(last.concurrency)} sequences (still ${formatNumber(last.gain as number)}x).`,
      );
    } else if (gains.length > 0) {
      out.push(
        `${where}: no batching advice: ${clean.length < gains.length ? "some concurrency levels ran under contention" : "the gain's interval contains 1 at some concurrency (too noisy or no difference; add repeats)"}.`,
      );
    }
  }
  for (const m of answers.find((x) => x.id === "memory")?.numbers ?? []) {
    const mib = (m.measuredOverheadMib ?? m.peakOverheadMib ?? m.estimatedOverheadMib) as number | null;
    if (mib !== null && mib > 0)
      out.push(`${String(m.pair)}: budget ${formatNumber(mib, 1)} MiB per instance for the draft.`);
    else if (mib !== null)
      // a draft cannot free memory: a measured overhead at or below zero is noise between separate sessions
      out.push(
        `${String(m.pair)}: no memory overhead was measurable for the draft (${formatNumber(mib, 1)} MiB); size by the estimate.`,
      );
  }
  if (a.greedyMismatches.length > 0) {
    out.push(
      `Investigate ${a.greedyMismatches.length} greedy speculative run(s) whose output differs from the baseline before trusting their pairs in production (listed below).`,
    );
  }
  return out;
}
