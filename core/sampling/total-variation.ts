import type { TokenDistribution } from "./token-distribution.js";

/** Total-variation distance ½ Σ |a(x) − b(x)| over the union of supports; 0 = equal, 1 = disjoint. */
export function totalVariation(a: TokenDistribution, b: TokenDistribution): number {
  let sum = 0;
  for (const [token, pa] of a) sum += Math.abs(pa - (b.get(token) ?? 0));
  for (const [token, pb] of b) if (!a.has(token)) sum += pb;
  return sum / 2;
}
