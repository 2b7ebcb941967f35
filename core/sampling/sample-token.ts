import type { TokenDistribution } from "./token-distribution.js";

/**
 * Inverse-CDF draw from `dist` with the uniform `u` in [0, 1). Walks the map in its own order; rounding
 * that leaves u beyond the last cumulative sum picks the last token rather than failing.
 */
export function sampleToken(dist: TokenDistribution, u: number): number {
  let cumulative = 0;
  let last: number | undefined;
  for (const [token, p] of dist) {
    cumulative += p;
    last = token;
    if (u < cumulative) return token;
  }
  if (last === undefined) throw new RangeError("cannot sample from an empty distribution");
  return last;
}
