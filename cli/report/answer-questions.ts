// The classic lab questions, answered from the sweep's own numbers. Every sentence is assembled from
// measured or fitted values; where the data for a question is missing the answer says so.
import { pairLabel } from "../../core/cell.js";
import { pooledMean } from "../../core/metrics.js";
import { summarize } from "../../core/stats/summarize.js";
import { breakEvenAlpha } from "../../core/theory/break-even-alpha.js";
import { expectedSpeedup, expectedTokensPerStep } from "../../core/theory/expected-speedup.js";
import { formatCi, formatNumber, formatPct, formatSummary } from "./format-number.js";
import type { SpeculativeGroup, SweepAnalysis } from "./sweep-analysis.js";

export interface Answer {
  id: string;
  question: string;
  /** Markdown lines (one per host/pair where the answer is per host/pair). */
  lines: string[];
  /** The figures behind the lines, machine-readable for --json and tests. */
  numbers: Array<Record<string, string | number | boolean | null>>;
}

/** Pairs with mean acceptance at or above this (at their lowest temperature) are called aligned. */
export const ALIGNED_ACCEPTANCE = 0.5;

const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];

/** The fixed-K group with the highest mean speedup for (host, pair, temperature). */
export function bestGroup(groups: SpeculativeGroup[]): SpeculativeGroup | undefined {
  let best: SpeculativeGroup | undefined;
  for (const g of groups) {
    if (g.adaptive || g.speedup === undefined) continue;
    if (best === undefined || g.speedup > (best.speedup ?? -Infinity)) best = g;
  }
  return best;
}

function hostPairs(a: SweepAnalysis): Array<{ hostId: string; pair: string; groups: SpeculativeGroup[] }> {
  const keys = uniq(a.speculative.map((g) => `${g.hostId}\u0000${g.pair}`));
  return keys.map((k) => {
    const [hostId = "", pair = ""] = k.split("\u0000");
    return { hostId, pair, groups: a.speculative.filter((g) => g.hostId === hostId && g.pair === pair) };
  });
}

const lowestTemp = (groups: SpeculativeGroup[]): number => Math.min(...groups.map((g) => g.temperature));

export function answerQuestions(a: SweepAnalysis): Answer[] {
  const answers: Answer[] = [];
  const noSpec = "No valid speculative results in this sweep.";

  // 1. Baseline throughput.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    for (const key of uniq(a.baselines.map((b) => `${b.hostId}\u0000${b.target}`))) {
      const [hostId = "", target = ""] = key.split("\u0000");
      const groups = a.baselines.filter((b) => b.hostId === hostId && b.target === target);
      const { mean = Number.NaN, n } = pooledMean(groups.map((g) => g.decodeTps));
      lines.push(
        `${hostId}, ${target}: ${formatNumber(mean, 1)} t/s decode on average over ${n} runs; by temperature: ` +
          groups.map((g) => `T=${g.temperature}: ${formatSummary(g.decodeTps, 1)}`).join("; ") +
          ".",
      );
      numbers.push({ hostId, target, meanDecodeTps: mean, n });
    }
    answers.push({
      id: "baseline-tps",
      question: "What is the baseline decode throughput?",
      lines: lines.length > 0 ? lines : ["No valid baseline results in this sweep."],
      numbers,
    });
  }

  // Per (host, pair): best setting at the lowest temperature measured, and its fit.
  const perPair = hostPairs(a).map(({ hostId, pair, groups }) => {
    const t0 = lowestTemp(groups);
    const atT0 = groups.filter((g) => g.temperature === t0);
    const best = bestGroup(atT0);
    const fit = a.fits.find((f) => f.hostId === hostId && f.pair === pair && f.temperature === t0)?.fit;
    return { hostId, pair, groups, t0, best, fit };
  });

  // 2. Achieved vs theoretical speedup.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    for (const p of perPair) {
      if (p.best?.speedup === undefined) continue;
      const { best, fit } = p;
      const k = best.k;
      const ideal = fit?.alpha === undefined ? undefined : expectedTokensPerStep(fit.alpha, k);
      const withCost =
        fit?.alpha === undefined || fit.c === undefined ? undefined : expectedSpeedup(fit.alpha, fit.c, k);
      lines.push(
        `${p.hostId}, ${p.pair}, T=${p.t0}, K=${k}: measured speedup ${formatNumber(best.speedup)}x ` +
          `(95% CI ${formatCi(best.speedupCi95)}). A free draft at the fitted α=${formatNumber(fit?.alpha, 3)} ` +
          `would give ${formatNumber(ideal)}x (tokens per target step); charging the fitted draft cost ` +
          `c=${formatNumber(fit?.c, 3)} target passes per draft token (K·c=${formatNumber(fit?.c === undefined ? undefined : k * fit.c)} extra passes per step) ` +
          `gives ${formatNumber(withCost)}x. The gap between the ideal and the measured speedup is the draft's ` +
          `own run time and verification overhead; what remains (fit rms ${formatNumber(fit?.cRms, 3)}) is noise and effects the model leaves out (sampling, batching of the verification pass).`,
      );
      numbers.push({
        hostId: p.hostId,
        pair: p.pair,
        temperature: p.t0,
        k,
        measuredSpeedup: best.speedup ?? null,
        idealSpeedup: ideal ?? null,
        theorySpeedup: withCost ?? null,
        alpha: fit?.alpha ?? null,
        c: fit?.c ?? null,
      });
    }
    answers.push({
      id: "speedup-vs-theory",
      question: "What speedup is achieved, against the theory, and why do they differ?",
      lines: lines.length > 0 ? lines : [noSpec],
      numbers,
    });
  }

  // 3. Average acceptance.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    for (const pair of uniq(a.speculative.map((g) => g.pair))) {
      const gs = a.speculative.filter((g) => g.pair === pair && g.acceptRate.n > 0);
      if (gs.length === 0) continue;
      const { mean = Number.NaN, n } = pooledMean(gs.map((g) => g.acceptRate));
      lines.push(
        `${pair}: ${formatPct(mean)} of drafted tokens accepted on average over ${n} runs (all hosts, K and temperatures).`,
      );
      numbers.push({ pair, meanAcceptRate: mean, n });
    }
    answers.push({
      id: "acceptance",
      question: "What is the average acceptance rate?",
      lines: lines.length > 0 ? lines : [noSpec],
      numbers,
    });
  }

  // 4. Best K.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    for (const p of perPair) {
      for (const t of uniq(p.groups.map((g) => g.temperature)).sort((x, y) => x - y)) {
        const best = bestGroup(p.groups.filter((g) => g.temperature === t));
        if (best === undefined) continue;
        const fit = a.fits.find(
          (f) => f.hostId === p.hostId && f.pair === p.pair && f.temperature === t,
        )?.fit;
        lines.push(
          `${p.hostId}, ${p.pair}, T=${t}: best measured K=${best.k} (speedup ${formatNumber(best.speedup)}x, 95% CI ${formatCi(best.speedupCi95)}); ` +
            `the fitted theory predicts K=${fit?.bestK ?? "n/a"} (${formatNumber(fit?.predictedBestSpeedup)}x).`,
        );
        numbers.push({
          hostId: p.hostId,
          pair: p.pair,
          temperature: t,
          bestK: best.k,
          speedup: best.speedup ?? null,
          predictedBestK: fit?.bestK ?? null,
        });
      }
    }
    answers.push({
      id: "best-k",
      question: "Which K is best per host and pair?",
      lines: lines.length > 0 ? lines : [noSpec],
      numbers,
    });
  }

  // 5. Why the next K does not double the gain.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    for (const p of perPair) {
      const { fit, best } = p;
      if (best === undefined || fit?.alpha === undefined || fit.c === undefined) continue;
      const k1 = best.k;
      const k2 = 2 * k1;
      const e1 = expectedTokensPerStep(fit.alpha, k1);
      const e2 = expectedTokensPerStep(fit.alpha, k2);
      const cost1 = 1 + k1 * fit.c;
      const cost2 = 1 + k2 * fit.c;
      const measured2 = p.groups.find((g) => g.temperature === p.t0 && g.k === k2 && !g.adaptive);
      lines.push(
        `${p.hostId}, ${p.pair}: going from K=${k1} to K=${k2} raises the expected tokens per target step from ` +
          `${formatNumber(e1)} to ${formatNumber(e2)} (+${formatPct(e2 / e1 - 1)}; the ceiling is 1/(1-α) = ${formatNumber(1 / (1 - fit.alpha))}) ` +
          `while the step's cost grows from ${formatNumber(cost1)} to ${formatNumber(cost2)} target passes (+${formatPct(cost2 / cost1 - 1)}): ` +
          `theory ${formatNumber(e1 / cost1)}x -> ${formatNumber(e2 / cost2)}x` +
          (measured2?.speedup === undefined
            ? " (K=" + k2 + " was not measured)."
            : `; measured ${formatNumber(best.speedup)}x -> ${formatNumber(measured2.speedup)}x.`),
      );
      numbers.push({
        hostId: p.hostId,
        pair: p.pair,
        k1,
        k2,
        tokensPerStep1: e1,
        tokensPerStep2: e2,
        cost1,
        cost2,
      });
    }
    answers.push({
      id: "next-k",
      question: "Why does the next K not double the gain?",
      lines:
        lines.length > 0
          ? lines
          : ["No fitted α and c (needs speculative and baseline results at several K)."],
      numbers,
    });
  }

  // 6. Temperature and acceptance.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    for (const pair of uniq(a.speculative.map((g) => g.pair))) {
      const temps = uniq(a.speculative.filter((g) => g.pair === pair).map((g) => g.temperature)).sort(
        (x, y) => x - y,
      );
      // temperatures where no run reported acceptance are left out (their mean would divide by 0)
      const byTemp = temps.flatMap((t) => {
        const gs = a.speculative.filter((g) => g.pair === pair && g.temperature === t);
        const { mean, n } = pooledMean(gs.map((g) => g.acceptRate));
        return mean === undefined ? [] : [{ t, n, mean }];
      });
      if (byTemp.length < 2) continue;
      const lo = byTemp[0]!;
      const hi = byTemp[byTemp.length - 1]!;
      const slope = (hi.mean - lo.mean) / (hi.t - lo.t);
      lines.push(
        `${pair}: acceptance ${byTemp.map((b) => `${formatPct(b.mean)} at T=${b.t}`).join(", ")}; ` +
          `${slope < 0 ? "falls" : "rises"} by ${formatNumber(Math.abs(slope) * 100, 1)} points per unit of temperature.`,
      );
      numbers.push({
        pair,
        acceptLowT: lo.mean,
        acceptHighT: hi.mean,
        lowT: lo.t,
        highT: hi.t,
        slopePerUnitT: slope,
      });
    }
    answers.push({
      id: "temperature-acceptance",
      question: "How does temperature move acceptance?",
      lines:
        lines.length > 0 ? lines : ["Fewer than two temperatures measured: no temperature effect to report."],
      numbers,
    });
  }

  // 7. Where speculation stops paying.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    for (const p of perPair) {
      const temps = uniq(p.groups.map((g) => g.temperature)).sort((x, y) => x - y);
      const bests = temps.map((t) => ({ t, best: bestGroup(p.groups.filter((g) => g.temperature === t)) }));
      const stop = bests.find((b) => b.best?.speedup !== undefined && b.best.speedup < 1);
      const last = bests[bests.length - 1];
      if (stop !== undefined && stop.t === temps[0]) {
        lines.push(
          `${p.hostId}, ${p.pair}: does not pay even at the lowest temperature measured, T=${stop.t}: the best K there (K=${stop.best!.k}) reaches ${formatNumber(stop.best!.speedup)}x ` +
            `(95% CI ${formatCi(stop.best!.speedupCi95)}).`,
        );
      } else if (stop !== undefined) {
        lines.push(
          `${p.hostId}, ${p.pair}: stops paying at T=${stop.t}: the best K there (K=${stop.best!.k}) reaches only ${formatNumber(stop.best!.speedup)}x ` +
            `(95% CI ${formatCi(stop.best!.speedupCi95)}).`,
        );
      } else if (last?.best !== undefined) {
        lines.push(
          `${p.hostId}, ${p.pair}: still pays at the highest temperature measured, T=${last.t} (best K=${last.best.k}, ${formatNumber(last.best.speedup)}x, 95% CI ${formatCi(last.best.speedupCi95)}).`,
        );
      }
      numbers.push({ hostId: p.hostId, pair: p.pair, stopsAtTemperature: stop?.t ?? null });
    }
    answers.push({
      id: "temperature-stops-paying",
      question: "At which temperature does speculation stop paying?",
      lines: lines.length > 0 ? lines : [noSpec],
      numbers,
    });
  }

  // 8. Break-even acceptance.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    for (const p of perPair) {
      if (p.best === undefined || p.fit?.c === undefined) continue;
      const be = breakEvenAlpha(p.fit.c, p.best.k);
      const be1 = breakEvenAlpha(p.fit.c, 1);
      lines.push(
        `${p.hostId}, ${p.pair}: with the fitted draft cost c=${formatNumber(p.fit.c, 3)}, K=${p.best.k} breaks even at ` +
          `α=${be === null ? "none (no acceptance pays)" : formatNumber(be, 3)} (K=1: ${be1 === null ? "none" : formatNumber(be1, 3)}); ` +
          `the measured α at T=${p.t0} is ${formatNumber(p.fit.alpha, 3)}.`,
      );
      numbers.push({
        hostId: p.hostId,
        pair: p.pair,
        k: p.best.k,
        c: p.fit.c,
        breakEvenAlpha: be,
        alpha: p.fit.alpha ?? null,
      });
    }
    answers.push({
      id: "break-even",
      question: "What is the break-even acceptance?",
      lines: lines.length > 0 ? lines : ["No fitted draft cost (needs speculative and baseline results)."],
      numbers,
    });
  }

  // 9. Aligned vs misaligned.
  {
    const numbers: Answer["numbers"] = [];
    for (const pair of uniq(a.speculative.map((g) => g.pair))) {
      const gs = a.speculative.filter((g) => g.pair === pair);
      const t0 = lowestTemp(gs);
      const acc = summarize(
        gs.filter((g) => g.temperature === t0 && g.acceptRate.n > 0).map((g) => g.acceptRate.mean),
      );
      const bestSpeedups = uniq(gs.map((g) => g.hostId)).map(
        (h) => bestGroup(gs.filter((g) => g.hostId === h && g.temperature === t0))?.speedup,
      );
      const best = Math.max(...bestSpeedups.filter((x): x is number => x !== undefined));
      numbers.push({
        pair,
        temperature: t0,
        acceptRate: acc.mean,
        aligned: acc.mean >= ALIGNED_ACCEPTANCE,
        bestSpeedup: Number.isFinite(best) ? best : null,
      });
    }
    const lines =
      numbers.length === 0
        ? [noSpec]
        : [
            `Pairs are called aligned when their acceptance at the lowest temperature is at least ${formatPct(ALIGNED_ACCEPTANCE, 0)}.`,
            ...numbers.map(
              (n) =>
                `${String(n.pair)} (${n.aligned ? "aligned" : "misaligned"}): acceptance ${formatPct(n.acceptRate as number)} at T=${String(n.temperature)}, best speedup ${formatNumber(n.bestSpeedup as number | null)}x.`,
            ),
          ];
    answers.push({
      id: "aligned-vs-misaligned",
      question: "How do aligned and misaligned pairs compare?",
      lines,
      numbers,
    });
  }

  // 10. Batching.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    for (const hostId of uniq(a.parallel.map((p) => p.hostId))) {
      const ps = a.parallel.filter((p) => p.hostId === hostId);
      const levels = uniq(ps.map((p) => p.concurrency)).sort((x, y) => x - y);
      const gains = levels
        .map((n) => {
          const without = ps.find((p) => p.concurrency === n && p.draft === undefined);
          const withDraft = ps.find((p) => p.concurrency === n && p.draft !== undefined);
          if (without === undefined || withDraft === undefined) return undefined;
          return { n, gain: withDraft.aggregateTps.mean / without.aggregateTps.mean, without, withDraft };
        })
        .filter((g) => g !== undefined);
      if (gains.length === 0) continue;
      const first = gains[0]!;
      const last = gains[gains.length - 1]!;
      lines.push(
        `${hostId}: the draft multiplies aggregate throughput by ${gains.map((g) => `${formatNumber(g.gain)}x at ${g.n} sequence(s)`).join(", ")}; ` +
          (last.gain < 1
            ? `at ${last.n} sequences the draft costs throughput (${formatNumber(last.withDraft.aggregateTps.mean, 1)} vs ${formatNumber(last.without.aggregateTps.mean, 1)} t/s).`
            : first.gain < 1
              ? `the draft does not pay at ${first.n} sequence(s) but does at ${last.n}.`
              : `the gain ${last.gain >= first.gain * 0.95 ? "holds" : "shrinks but stays above 1"} up to ${last.n} sequences.`),
      );
      for (const g of gains) numbers.push({ hostId, concurrency: g.n, gain: g.gain });
    }
    answers.push({
      id: "batching",
      question: "Does batching keep the gain?",
      lines:
        lines.length > 0
          ? lines
          : ["No parallel cells with and without a draft in this sweep: batching was not measured."],
      numbers,
    });
  }

  // 11. Memory overhead.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    for (const m of a.memory.filter((x) => x.draft !== undefined)) {
      const alone = a.memory.find((x) => x.target === m.target && x.draft === undefined);
      if (alone === undefined) continue;
      const measured =
        m.memoryMib.n > 0 && alone.memoryMib.n > 0 ? m.memoryMib.mean - alone.memoryMib.mean : undefined;
      const peak =
        m.peakVramMib.n > 0 && alone.peakVramMib.n > 0
          ? m.peakVramMib.mean - alone.peakVramMib.mean
          : undefined;
      const est =
        m.estimatedMib !== undefined && alone.estimatedMib !== undefined
          ? m.estimatedMib - alone.estimatedMib
          : undefined;
      if (measured === undefined && peak === undefined && est === undefined) continue;
      const parts: string[] = [];
      if (measured !== undefined)
        parts.push(
          `${formatNumber(measured, 1)} MiB of engine memory (${formatPct(measured / alone.memoryMib.mean)} over the target alone)`,
        );
      if (peak !== undefined) parts.push(`${formatNumber(peak, 1)} MiB of peak GPU memory`);
      parts.push(
        est === undefined
          ? "no estimate (the models' GGUF facts are not stored)"
          : `an estimated ${formatNumber(est, 1)} MiB from the GGUF facts`,
      );
      const pair = pairLabel(m.target, m.draft);
      lines.push(`${pair}: the draft adds ${parts.join(", ")}.`);
      numbers.push({
        pair,
        measuredOverheadMib: measured ?? null,
        peakOverheadMib: peak ?? null,
        estimatedOverheadMib: est ?? null,
      });
    }
    answers.push({
      id: "memory",
      question: "What does the draft cost in memory?",
      lines: lines.length > 0 ? lines : ["No memory figures were reported by the engines in this sweep."],
      numbers,
    });
  }
  return answers;
}
