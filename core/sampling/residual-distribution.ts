import { normalizeDistribution, type TokenDistribution } from "./token-distribution.js";

/**
 * The distribution a rejected position is resampled from: norm(max(0, p − q)) (Leviathan et al. 2023,
 * Chen et al. 2023). When p and q agree to rounding there is no residual mass; rejection then had
 * probability ~0, and sampling from p keeps the output distributed as p.
 */
export function residualDistribution(p: TokenDistribution, q: TokenDistribution): TokenDistribution {
  const residual: [number, number][] = [];
  for (const [token, pt] of p) {
    const diff = pt - (q.get(token) ?? 0);
    if (diff > 0) residual.push([token, diff]);
  }
  const mass = residual.reduce((sum, [, w]) => sum + w, 0);
  return mass > 1e-12 ? normalizeDistribution(residual) : p;
}
