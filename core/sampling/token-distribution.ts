// A next-token distribution as the sampler sees it: token id → probability, entries summing to 1.
// Iteration order is part of the value (inverse-CDF sampling walks it), so every producer keeps a
// deterministic order: node-llama-cpp's maps are sorted by probability, ours by probability then id.

export type TokenDistribution = ReadonlyMap<number, number>;

/**
 * Drop non-positive entries and rescale the rest to sum to 1, keeping order.
 * Throws when nothing positive is left: a caller asked for a distribution over no tokens.
 */
export function normalizeDistribution(weights: Iterable<readonly [number, number]>): TokenDistribution {
  const kept: [number, number][] = [];
  let total = 0;
  for (const [token, weight] of weights) {
    if (weight > 0 && Number.isFinite(weight)) {
      kept.push([token, weight]);
      total += weight;
    }
  }
  if (kept.length === 0 || total <= 0) throw new RangeError("distribution has no positive mass");
  return new Map(kept.map(([token, weight]) => [token, weight / total]));
}
