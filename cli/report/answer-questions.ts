// The classic lab questions, answered from the sweep's own numbers. Every sentence is assembled from
// measured or fitted values; where the data for a question is missing the answer says so.
import { pairLabel } from "../../core/cell.js";
import { pooledMean } from "../../core/metrics.js";
import { summarize } from "../../core/stats/summarize.js";
import { breakEvenAlpha } from "../../core/theory/break-even-alpha.js";
import { expectedTokensPerStep } from "../../core/theory/expected-speedup.js";
import { ratioInterval } from "../../core/stats/ratio-interval.js";
import { describeContention, type ContentionSummary } from "../../core/stats/summarize-contention.js";
import { formatCi, formatNumber, formatPct, formatSummary } from "./format-number.js";
import { noiseReason } from "./noise-check.js";
import type { FitGroup, Source, SpeculativeGroup, SweepAnalysis } from "./sweep-analysis.js";

export interface Answer {
  id: string;
  question: string;
  /** Markdown lines (one per host/pair where the answer is per host/pair). */
  lines: string[];
  /** The figures behind the lines, machine-readable for --json and tests. */
  numbers: Array<Record<string, string | number | boolean | null>>;
  /** Where the data is too noisy to answer from, and why (cli/report/noise-check.ts). */
  tooNoisy: string[];
}

/** Pairs whose per-token acceptance α (at their lowest temperature) is at or above this are called aligned. */
export const ALIGNED_ACCEPTANCE = 0.5;

const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];

/**
 * The fixed-K group with the highest speedup for (host, pair, temperature). A group whose draft had no token
 * accepted is never best: it cannot have paid, whatever its timing ratio (noise or drift) says. Nor is a
 * group any of whose runs (or their paired baselines) ran under contention: kept and shown, never
 * recommended from.
 */
export function bestGroup(groups: SpeculativeGroup[]): SpeculativeGroup | undefined {
  let best: SpeculativeGroup | undefined;
  for (const g of groups) {
    if (g.adaptive || g.speedup === undefined || g.noneAccepted === true || isContended(g)) continue;
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

/** `α=0.812 (measured from accepted-by-position)` or `α=0.790 (fitted to tokens per step)`. */
export function alphaLabel(alpha: number | undefined, source: Source | undefined, from?: string): string {
  if (alpha === undefined) return "α=n/a";
  const what =
    from === "accepted-by-position"
      ? "measured from accepted-by-position"
      : from === "tokensPerStep"
        ? "fitted to tokens per step"
        : from === "acceptRate"
          ? "fitted to acceptance"
          : (source ?? "fitted");
  return `α=${formatNumber(alpha, 3)} (${source === "measured" ? what : what.startsWith("fitted") ? what : `fitted, ${what}`})`;
}

export function costLabel(fit: FitGroup | undefined): string {
  if (fit?.c === undefined) return "c=n/a";
  return `c=${formatNumber(fit.c, 3)} (${fit.cSource === "measured" ? "measured from draft and target times" : "fitted to the speedups"})`;
}

/** Whether any run behind a group ran under contention (core/measurement-protocol's HostNoise). */
export const isContended = (g: { contention?: ContentionSummary }): boolean =>
  (g.contention?.contended ?? 0) > 0;

/** Why a speculative group's speedup cannot answer a question; undefined when it can. */
export function speedupNoise(g: SpeculativeGroup): string | undefined {
  if (isContended(g))
    return `${g.hostId}, ${g.pair}, T=${g.temperature}, K=${g.k}: ${describeContention(g.contention!)}, so its speedup is not used`;
  if (g.precision !== undefined && !g.precision.met)
    return (
      `${g.hostId}, ${g.pair}, T=${g.temperature}, K=${g.k}: never became stable ` +
      `(${g.precision.relCi === undefined ? "no interval" : `±${(g.precision.relCi * 100).toFixed(1)}%`} after ` +
      `${g.precision.repeats} usable repeat(s), sweep.precision.rel_ci asks ±${(g.precision.asked * 100).toFixed(1)}%), so its speedup is not used`
    );
  return noiseReason(
    g.speedupCi95,
    g.decodeTps.n,
    `${g.hostId}, ${g.pair}, T=${g.temperature}, K=${g.k}: the speedup`,
  );
}

export function answerQuestions(a: SweepAnalysis): Answer[] {
  const answers: Answer[] = [];
  const noSpec = "No valid speculative results in this sweep.";

  // 1. Baseline throughput.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    const tooNoisy: string[] = [];
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
      for (const g of groups) {
        if (isContended(g)) {
          tooNoisy.push(
            `${hostId}, ${target}, T=${g.temperature}: baseline t/s: ${describeContention(g.contention!)}`,
          );
          continue;
        }
        const why = noiseReason(
          g.decodeTps.ci95,
          g.decodeTps.n,
          `${hostId}, ${target}, T=${g.temperature}: baseline t/s`,
        );
        if (why !== undefined) tooNoisy.push(why);
      }
    }
    answers.push({
      id: "baseline-tps",
      question: "What is the baseline decode throughput?",
      lines: lines.length > 0 ? lines : ["No valid baseline results in this sweep."],
      numbers,
      tooNoisy,
    });
  }

  // Per (host, pair): best setting at the lowest temperature measured, and its fit.
  const perPair = hostPairs(a).map(({ hostId, pair, groups }) => {
    const t0 = lowestTemp(groups);
    const atT0 = groups.filter((g) => g.temperature === t0);
    const best = bestGroup(atT0);
    const fit = a.fits.find((f) => f.hostId === hostId && f.pair === pair && f.temperature === t0);
    return { hostId, pair, groups, t0, best, fit };
  });

  // 2. Achieved vs theoretical speedup.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    const tooNoisy: string[] = [];
    for (const p of perPair) {
      if (p.best?.speedup === undefined) continue;
      const { best, fit } = p;
      const k = best.k;
      const alpha = fit?.theoryAlpha;
      const ideal = alpha === undefined ? undefined : expectedTokensPerStep(alpha, k);
      const v = fit?.vByK[k];
      const measuredCosts = fit?.cSource === "measured" && v !== undefined;
      const stepCost = fit?.c === undefined ? undefined : k * fit.c + (measuredCosts ? v : 1);
      const withCost = ideal === undefined || stepCost === undefined ? undefined : ideal / stepCost;
      const costText = measuredCosts
        ? `charging the measured draft cost ${costLabel(fit)} target passes per draft token and the measured ` +
          `verification cost v(${k})=${formatNumber(v, 2)} target passes per step (K·c + v = ${formatNumber(stepCost)} passes)`
        : `charging the fitted draft cost ${costLabel(fit)} per draft token and a verification pass of 1 target pass ` +
          `(K·c + 1 = ${formatNumber(stepCost)} passes)`;
      const gapText = measuredCosts
        ? `Both costs are measured, not fitted to these speedups, so the gap between theory and measurement ` +
          `is time spent outside the two models (sampling, cache rollback, bookkeeping), α's variation across prompts, and noise.`
        : `c is fitted to these same speedups, so the theory cannot explain them independently: only the fit's ` +
          `residual (rms ${formatNumber(fit?.fit.cRms, 3)}) says how well one c describes every K.`;
      lines.push(
        `${p.hostId}, ${p.pair}, T=${p.t0}, K=${k}: measured speedup ${formatNumber(best.speedup)}x ` +
          `(95% CI ${formatCi(best.speedupCi95)}). A free draft at ${alphaLabel(alpha, fit?.theoryAlphaSource, fit?.theoryAlphaSource === "measured" ? fit.alphaFrom : fit?.fit.alphaFrom)} ` +
          `would give ${formatNumber(ideal)}x (tokens per target step); ${costText} gives ${formatNumber(withCost)}x. ${gapText}`,
      );
      const why = speedupNoise(best);
      if (why !== undefined) tooNoisy.push(why);
      numbers.push({
        hostId: p.hostId,
        pair: p.pair,
        temperature: p.t0,
        k,
        measuredSpeedup: best.speedup ?? null,
        idealSpeedup: ideal ?? null,
        theorySpeedup: withCost ?? null,
        alpha: alpha ?? null,
        alphaSource: fit?.theoryAlphaSource ?? null,
        c: fit?.c ?? null,
        cSource: fit?.cSource ?? null,
        v: measuredCosts ? v : null,
      });
    }
    answers.push({
      id: "speedup-vs-theory",
      question: "What speedup is achieved, against the theory, and why do they differ?",
      lines: lines.length > 0 ? lines : [noSpec],
      numbers,
      tooNoisy,
    });
  }

  // 3. Acceptance: pooled per (host, pair, K, temperature), Σ accepted / Σ drafted; per-run means secondary.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    const tooNoisy: string[] = [];
    for (const p of perPair) {
      for (const t of uniq(p.groups.map((g) => g.temperature)).sort((x, y) => x - y)) {
        const gs = p.groups.filter((g) => g.temperature === t && g.acceptPooled.rate !== undefined);
        if (gs.length === 0) continue;
        const fit = a.fits.find((f) => f.hostId === p.hostId && f.pair === p.pair && f.temperature === t);
        lines.push(
          `${p.hostId}, ${p.pair}, T=${t}: ` +
            gs
              .map(
                (g) =>
                  `K=${g.adaptive ? `≤${g.k} adaptive` : g.k} ${formatPct(g.acceptPooled.rate)} (${g.acceptPooled.nAccept}/${g.acceptPooled.nDrafted} drafted tokens, ${g.acceptPooled.runs} runs; per-run mean ${formatPct(g.acceptRate.mean)})`,
              )
              .join(", ") +
            `; per-token ${alphaLabel(fit?.alpha, fit?.alphaSource, fit?.alphaFrom)}.`,
        );
        for (const g of gs) {
          numbers.push({
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
          });
          if (g.acceptPooled.runs < 2)
            tooNoisy.push(
              `${p.hostId}, ${p.pair}, T=${t}, K=${g.k}: acceptance from ${g.acceptPooled.runs} run(s) only`,
            );
        }
      }
    }
    answers.push({
      id: "acceptance",
      question: "What is the acceptance rate?",
      lines:
        lines.length > 0
          ? [
              "Acceptance is pooled per host, pair, K and temperature as Σ accepted / Σ drafted (with fixed K it falls mechanically as K grows, so K values are never mixed); the per-token α is K-free.",
              ...lines,
            ]
          : [noSpec],
      numbers,
      tooNoisy,
    });
  }

  // 4. Best K.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    const tooNoisy: string[] = [];
    for (const p of perPair) {
      for (const t of uniq(p.groups.map((g) => g.temperature)).sort((x, y) => x - y)) {
        const atT = p.groups.filter((g) => g.temperature === t);
        const best = bestGroup(atT);
        if (best === undefined) continue;
        const fit = a.fits.find((f) => f.hostId === p.hostId && f.pair === p.pair && f.temperature === t);
        const theoryWhat =
          fit?.cSource === "measured"
            ? `the theory at the measured costs (${alphaLabel(fit.theoryAlpha, fit.theoryAlphaSource, fit.theoryAlphaSource === "measured" ? fit.alphaFrom : fit.fit.alphaFrom)}) ranks K=${fit.bestK ?? "n/a"} first among the measured K (${formatNumber(fit.bestKSpeedup)}x)`
            : `the fitted theory predicts K=${fit?.bestK ?? "n/a"} (${formatNumber(fit?.bestKSpeedup)}x)`;
        lines.push(
          `${p.hostId}, ${p.pair}, T=${t}: best measured K=${best.k} (speedup ${formatNumber(best.speedup)}x, 95% CI ${formatCi(best.speedupCi95)}); ${theoryWhat}.`,
        );
        const why = speedupNoise(best);
        if (why !== undefined) tooNoisy.push(why);
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
        if (ties.length > 0)
          tooNoisy.push(
            `${p.hostId}, ${p.pair}, T=${t}: K=${best.k} cannot be told from K=${ties.map((g) => g.k).join(", K=")} (their 95% intervals overlap)`,
          );
        numbers.push({
          hostId: p.hostId,
          pair: p.pair,
          temperature: t,
          bestK: best.k,
          speedup: best.speedup ?? null,
          predictedBestK: fit?.bestK ?? null,
          predictedFrom: fit?.cSource ?? null,
          distinguishable: ties.length === 0,
        });
      }
    }
    answers.push({
      id: "best-k",
      question: "Which K is best per host and pair?",
      lines: lines.length > 0 ? lines : [noSpec],
      numbers,
      tooNoisy,
    });
  }

  // 5. Why the next K does not double the gain.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    const tooNoisy: string[] = [];
    for (const p of perPair) {
      const { fit, best } = p;
      const alpha = fit?.theoryAlpha;
      if (best === undefined || alpha === undefined || fit?.c === undefined) continue;
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
      lines.push(
        `${p.hostId}, ${p.pair}: going from K=${k1} to K=${k2} raises the expected tokens per target step from ` +
          `${formatNumber(e1)} to ${formatNumber(e2)} (+${formatPct(e2 / e1 - 1)}; the ceiling is 1/(1-α) = ${alpha >= 1 ? "none (α = 1)" : formatNumber(1 / (1 - alpha))} at ${alphaLabel(alpha, fit.theoryAlphaSource, fit.theoryAlphaSource === "measured" ? fit.alphaFrom : fit.fit.alphaFrom)}) ` +
          `while the step's cost grows from ${formatNumber(cost1)} to ${formatNumber(cost2)} target passes (+${formatPct(cost2 / cost1 - 1)}; ${costLabel(fit)})${vNote}: ` +
          `theory ${formatNumber(e1 / cost1)}x -> ${formatNumber(e2 / cost2)}x` +
          (measured2?.speedup === undefined
            ? " (K=" + k2 + " was not measured)."
            : `; measured ${formatNumber(best.speedup)}x -> ${formatNumber(measured2.speedup)}x.`),
      );
      for (const g of [best, measured2]) {
        const why = g === undefined ? undefined : speedupNoise(g);
        if (why !== undefined) tooNoisy.push(why);
      }
      numbers.push({
        hostId: p.hostId,
        pair: p.pair,
        k1,
        k2,
        tokensPerStep1: e1,
        tokensPerStep2: e2,
        cost1,
        cost2,
        costSource: fit.cSource ?? null,
      });
    }
    answers.push({
      id: "next-k",
      question: "Why does the next K not double the gain?",
      lines: lines.length > 0 ? lines : ["No α and c (needs speculative and baseline results at several K)."],
      numbers,
      tooNoisy,
    });
  }

  // 6. Temperature and acceptance: the per-token α (K-free) at each temperature, per host and pair.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    const tooNoisy: string[] = [];
    for (const p of perPair) {
      const byTemp = a.fits
        .filter((f) => f.hostId === p.hostId && f.pair === p.pair && f.alpha !== undefined)
        .sort((x, y) => x.temperature - y.temperature);
      if (byTemp.length < 2) continue;
      const lo = byTemp[0]!;
      const hi = byTemp[byTemp.length - 1]!;
      const slope = (hi.alpha! - lo.alpha!) / (hi.temperature - lo.temperature);
      const sources = uniq(
        byTemp.map((f) => alphaLabel(f.alpha, f.alphaSource, f.alphaFrom).replace(/^α=[^ ]+ /, "")),
      );
      lines.push(
        `${p.hostId}, ${p.pair}: per-token acceptance α ${byTemp.map((f) => `${formatNumber(f.alpha, 3)} at T=${f.temperature}`).join(", ")} ${sources.join(", ")}; ` +
          `${slope < 0 ? "falls" : "rises"} by ${formatNumber(Math.abs(slope) * 100, 1)} points per unit of temperature.`,
      );
      for (const f of byTemp) {
        const runs = p.groups
          .filter((g) => g.temperature === f.temperature)
          .reduce((n, g) => n + g.acceptPooled.runs, 0);
        if (runs < 2) tooNoisy.push(`${p.hostId}, ${p.pair}, T=${f.temperature}: α from ${runs} run(s) only`);
      }
      numbers.push({
        hostId: p.hostId,
        pair: p.pair,
        alphaLowT: lo.alpha!,
        alphaHighT: hi.alpha!,
        alphaSource: lo.alphaSource ?? null,
        lowT: lo.temperature,
        highT: hi.temperature,
        slopePerUnitT: slope,
      });
    }
    answers.push({
      id: "temperature-acceptance",
      question: "How does temperature move acceptance?",
      lines:
        lines.length > 0 ? lines : ["Fewer than two temperatures measured: no temperature effect to report."],
      numbers,
      tooNoisy,
    });
  }

  // 7. Where speculation stops paying: the first temperature whose best setting's interval lies below 1.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    const tooNoisy: string[] = [];
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
      } else {
        lines.push(`${p.hostId}, ${p.pair}: no setting accepted a draft token, so speculation never paid.`);
      }
      for (const b of bests) {
        const ci = b.best?.speedupCi95;
        const why = b.best === undefined ? undefined : speedupNoise(b.best);
        if (why !== undefined) tooNoisy.push(why);
        else if (ci !== undefined && ci[0] <= 1 && 1 <= ci[1])
          tooNoisy.push(
            `${p.hostId}, ${p.pair}, T=${b.t}: the best setting's 95% interval ${formatCi(ci)} contains 1, so whether it pays there is not settled`,
          );
      }
      numbers.push({ hostId: p.hostId, pair: p.pair, stopsAtTemperature: stop?.t ?? null });
    }
    answers.push({
      id: "temperature-stops-paying",
      question: "At which temperature does speculation stop paying?",
      lines: lines.length > 0 ? lines : [noSpec],
      numbers,
      tooNoisy,
    });
  }

  // 8. Break-even acceptance.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    const tooNoisy: string[] = [];
    for (const p of perPair) {
      const fit = p.fit;
      if (p.best === undefined || fit?.c === undefined) continue;
      const k = p.best.k;
      const measuredV = fit.cSource === "measured" ? fit.vByK[k] : undefined;
      const be = breakEvenAlpha(fit.c, k, measuredV ?? 1);
      const be1 = breakEvenAlpha(fit.c, 1, fit.cSource === "measured" ? (fit.vByK[1] ?? 1) : 1);
      const costs =
        measuredV === undefined
          ? `with the ${fit.cSource ?? "fitted"} draft cost ${costLabel(fit)} and a verification pass of 1 target pass`
          : `with the measured draft cost ${costLabel(fit)} and the measured verification cost v(${k})=${formatNumber(measuredV, 2)}`;
      const margin =
        fit.alpha === undefined || be === null
          ? ""
          : fit.alpha >= be
            ? `, above break-even`
            : `, below break-even`;
      lines.push(
        `${p.hostId}, ${p.pair}: ${costs}, K=${k} breaks even at ` +
          `α=${be === null ? "none (no acceptance pays)" : formatNumber(be, 3)} (K=1: ${be1 === null ? "none" : formatNumber(be1, 3)}); ` +
          `at T=${p.t0} the pair's ${alphaLabel(fit.alpha, fit.alphaSource, fit.alphaFrom)}${margin}.`,
      );
      if (fit.alpha !== undefined && be !== null && Math.abs(fit.alpha - be) < 0.02)
        tooNoisy.push(
          `${p.hostId}, ${p.pair}: α is within 0.02 of break-even, closer than the run-to-run spread of acceptance: whether K=${k} pays is not settled by it`,
        );
      numbers.push({
        hostId: p.hostId,
        pair: p.pair,
        k,
        c: fit.c,
        cSource: fit.cSource ?? null,
        v: measuredV ?? null,
        breakEvenAlpha: be,
        alpha: fit.alpha ?? null,
        alphaSource: fit.alphaSource ?? null,
      });
    }
    answers.push({
      id: "break-even",
      question: "What is the break-even acceptance?",
      lines: lines.length > 0 ? lines : ["No draft cost (needs speculative and baseline results)."],
      numbers,
      tooNoisy,
    });
  }

  // 9. Aligned vs misaligned: by the per-token α at the lowest temperature (K-free, unlike accepted/drafted).
  {
    const numbers: Answer["numbers"] = [];
    const tooNoisy: string[] = [];
    for (const pair of uniq(a.speculative.map((g) => g.pair))) {
      const gs = a.speculative.filter((g) => g.pair === pair);
      const t0 = lowestTemp(gs);
      const fits = a.fits.filter((f) => f.pair === pair && f.temperature === t0 && f.alpha !== undefined);
      const alpha = fits.length === 0 ? undefined : summarize(fits.map((f) => f.alpha!)).mean;
      const sources = uniq(fits.map((f) => f.alphaSource ?? "fitted"));
      const bestSpeedups = uniq(gs.map((g) => g.hostId)).map(
        (h) => bestGroup(gs.filter((g) => g.hostId === h && g.temperature === t0))?.speedup,
      );
      const best = Math.max(...bestSpeedups.filter((x): x is number => x !== undefined));
      if (alpha !== undefined && Math.abs(alpha - ALIGNED_ACCEPTANCE) < 0.05)
        tooNoisy.push(
          `${pair}: α=${formatNumber(alpha, 3)} is within 0.05 of the ${ALIGNED_ACCEPTANCE} line: the class is borderline`,
        );
      numbers.push({
        pair,
        temperature: t0,
        alpha: alpha ?? null,
        alphaSource: sources.length === 1 ? sources[0]! : sources.length === 0 ? null : "mixed",
        aligned: alpha === undefined ? null : alpha >= ALIGNED_ACCEPTANCE,
        bestSpeedup: Number.isFinite(best) ? best : null,
      });
    }
    const lines =
      numbers.length === 0
        ? [noSpec]
        : [
            `Pairs are called aligned when their per-token acceptance α at the lowest temperature is at least ${formatNumber(ALIGNED_ACCEPTANCE, 2)}.`,
            ...numbers.map(
              (n) =>
                `${String(n.pair)} (${n.aligned === null ? "unclassified" : n.aligned ? "aligned" : "misaligned"}): α=${formatNumber(n.alpha as number | null, 3)} (${String(n.alphaSource)}) at T=${String(n.temperature)}, best speedup ${formatNumber(n.bestSpeedup as number | null)}x.`,
            ),
          ];
    answers.push({
      id: "aligned-vs-misaligned",
      question: "How do aligned and misaligned pairs compare?",
      lines,
      numbers,
      tooNoisy,
    });
  }

  // 10. Batching: every draft against the target alone, at every concurrency level measured.
  {
    const lines: string[] = [];
    const numbers: Answer["numbers"] = [];
    const tooNoisy: string[] = [];
    for (const key of uniq(a.parallel.map((p) => `${p.hostId}\u0000${p.target}`))) {
      const [hostId = "", target = ""] = key.split("\u0000");
      const ps = a.parallel.filter((p) => p.hostId === hostId && p.target === target);
      const drafts = uniq(ps.flatMap((p) => (p.draft === undefined ? [] : [p.draft]))).sort();
      for (const draft of drafts) {
        const levels = uniq(ps.filter((p) => p.draft === draft).map((p) => p.concurrency)).sort(
          (x, y) => x - y,
        );
        const gains = levels.flatMap((n) => {
          const without = ps.find((p) => p.concurrency === n && p.draft === undefined);
          const withDraft = ps.find((p) => p.concurrency === n && p.draft === draft);
          if (without === undefined || withDraft === undefined) return [];
          const r = ratioInterval(withDraft.aggregateTpsValues, without.aggregateTpsValues, {
            paired: false,
          });
          return [
            {
              n,
              gain: r.ratio,
              ci95: r.ci95,
              runs: Math.min(withDraft.aggregateTps.n, without.aggregateTps.n),
              without,
              withDraft,
            },
          ];
        });
        if (gains.length === 0) continue;
        const first = gains[0]!;
        const last = gains[gains.length - 1]!;
        lines.push(
          `${hostId}, ${target}+${draft}: the draft multiplies aggregate throughput by ${gains.map((g) => `${formatNumber(g.gain)}x (95% CI ${formatCi(g.ci95)}) at ${g.n} sequence(s)`).join(", ")}; ` +
            (last.gain < 1
              ? `at ${last.n} sequences the draft costs throughput (${formatNumber(last.withDraft.aggregateTps.mean, 1)} vs ${formatNumber(last.without.aggregateTps.mean, 1)} t/s).`
              : first.gain < 1
                ? `the draft does not pay at ${first.n} sequence(s) but does at ${last.n}.`
                : `the gain ${last.gain >= first.gain * 0.95 ? "holds" : "shrinks but stays above 1"} up to ${last.n} sequences.`),
        );
        for (const g of gains) {
          const contended = isContended(g.withDraft) || isContended(g.without);
          if (contended)
            tooNoisy.push(
              `${hostId}, ${target}+${draft} at ${g.n} sequence(s): ${describeContention(isContended(g.withDraft) ? g.withDraft.contention! : g.without.contention!)}, so its gain is not used`,
            );
          const why = noiseReason(
            g.ci95,
            g.runs,
            `${hostId}, ${target}+${draft} at ${g.n} sequence(s): the batching gain`,
          );
          if (why !== undefined) tooNoisy.push(why);
          numbers.push({
            hostId,
            target,
            draft,
            concurrency: g.n,
            gain: g.gain,
            gainCiLow: g.ci95[0],
            gainCiHigh: g.ci95[1],
            runs: g.runs,
            contended,
          });
        }
      }
    }
    answers.push({
      id: "batching",
      question: "Does batching keep the gain?",
      lines:
        lines.length > 0
          ? lines
          : ["No parallel cells with and without a draft in this sweep: batching was not measured."],
      numbers,
      tooNoisy,
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
      tooNoisy: [],
    });
  }
  return answers;
}
