// The setting a report recommends from, among one (host, pair, temperature)'s fixed-K groups.
import { isContended } from "./noise-check.js";
import type { SpeculativeGroup } from "./sweep-analysis.js";

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
