// When is a figure too noisy to answer a question from? One rule for every answer, so a reader can tell
// "the data says no" from "the data cannot say": a figure from a group that ran under contention or never
// met sweep.precision is not used; fewer than two runs give no interval at all; and a 95% interval whose
// ends are more than NOISY_CI_RATIO apart (±~20% around the middle) is too wide to rank settings or call a
// speedup. An interval that straddles what the question asks (1 for "does it pay", a runner-up for "which
// K") leaves the question unsettled.
import { describeContention, type ContentionSummary } from "../../core/stats/summarize-contention.js";
import { formatCi } from "./format-number.js";
import type { SpeculativeGroup } from "./sweep-analysis.js";

/** Upper / lower end of a 95% interval above which the figure is too noisy to answer from. */
export const NOISY_CI_RATIO = 1.5;

/** Why a figure cannot answer: each cause is counted in an answer's reason. */
export type NoiseCause =
  | "contended"
  | "unstable"
  | "few-runs"
  | "no-interval"
  | "wide-interval"
  | "unpaired"
  | "tied"
  | "straddles-one"
  | "borderline";

export interface NoiseNote {
  cause: NoiseCause;
  /** The sentence naming the figure and why, e.g. `host-a, t+d, T=0, K=2: the speedup rests on 1 run(s): ...`. */
  text: string;
}

/** Why a figure with this interval and run count is too noisy; undefined when it is precise enough. */
export function noiseNote(
  ci: readonly [number, number] | undefined,
  n: number,
  what: string,
): NoiseNote | undefined {
  if (n < 2)
    return {
      cause: "few-runs",
      text: `${what} rests on ${n} run(s): no interval, so no answer from it (add repeats)`,
    };
  if (ci === undefined || !Number.isFinite(ci[0]) || !Number.isFinite(ci[1]))
    return { cause: "no-interval", text: `${what} has no interval (add repeats)` };
  if (ci[0] > 0 && ci[1] / ci[0] > NOISY_CI_RATIO)
    return {
      cause: "wide-interval",
      text: `${what}'s 95% interval ${formatCi(ci)} spans more than a factor ${NOISY_CI_RATIO} (the host was noisy or the repeats too few)`,
    };
  return undefined;
}

/** noiseNote's sentence alone. */
export const noiseReason = (
  ci: readonly [number, number] | undefined,
  n: number,
  what: string,
): string | undefined => noiseNote(ci, n, what)?.text;

/** Whether any run behind a group ran under contention (core/measurement-protocol's HostNoise). */
export const isContended = (g: { contention?: ContentionSummary }): boolean =>
  (g.contention?.contended ?? 0) > 0;

/** Why a speculative group's speedup cannot answer a question; undefined when it can. */
export function speedupNoiseNote(g: SpeculativeGroup): NoiseNote | undefined {
  const where = `${g.hostId}, ${g.pair}, T=${g.temperature}, K=${g.k}`;
  if (isContended(g))
    return {
      cause: "contended",
      text: `${where}: ${describeContention(g.contention!)}, so its speedup is not used`,
    };
  if (g.precision !== undefined && !g.precision.met)
    return {
      cause: "unstable",
      text:
        `${where}: never became stable ` +
        `(${g.precision.relCi === undefined ? "no interval" : `±${(g.precision.relCi * 100).toFixed(1)}%`} after ` +
        `${g.precision.repeats} usable repeat(s), sweep.precision.rel_ci asks ±${(g.precision.asked * 100).toFixed(1)}%), so its speedup is not used`,
    };
  return noiseNote(g.speedupCi95, g.decodeTps.n, `${where}: the speedup`);
}

/** speedupNoiseNote's sentence alone. */
export const speedupNoise = (g: SpeculativeGroup): string | undefined => speedupNoiseNote(g)?.text;
