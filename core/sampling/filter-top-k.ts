import { normalizeDistribution, type TokenDistribution } from "./token-distribution.js";

/**
 * Keep the k most probable tokens and renormalise: the filtered distribution both models sample from.
 * Ties are broken by token id so the result does not depend on the input's order. k <= 0 keeps everything.
 */
export function filterTopK(dist: TokenDistribution, k: number): TokenDistribution {
  const entries = [...dist.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return normalizeDistribution(k > 0 ? entries.slice(0, k) : entries);
}
