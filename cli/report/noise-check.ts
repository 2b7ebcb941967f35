// When is a figure too noisy to answer a question from? One rule for every answer, so a reader can tell
// "the data says no" from "the data cannot say": fewer than two runs give no interval at all, and a 95%
// interval whose ends are more than NOISY_CI_RATIO apart (±~20% around the middle) is too wide to rank
// settings or call a speedup.
import { formatCi } from "./format-number.js";

/** Upper / lower end of a 95% interval above which the figure is too noisy to answer from. */
export const NOISY_CI_RATIO = 1.5;

/** Why a figure with this interval and run count is too noisy; undefined when it is precise enough. */
export function noiseReason(
  ci: readonly [number, number] | undefined,
  n: number,
  what: string,
): string | undefined {
  if (n < 2) return `${what} rests on ${n} run(s): no interval, so no answer from it (add repeats)`;
  if (ci === undefined || !Number.isFinite(ci[0]) || !Number.isFinite(ci[1]))
    return `${what} has no interval (add repeats)`;
  if (ci[0] > 0 && ci[1] / ci[0] > NOISY_CI_RATIO)
    return `${what}'s 95% interval ${formatCi(ci)} spans more than a factor ${NOISY_CI_RATIO} (the host was noisy or the repeats too few)`;
  return undefined;
}
