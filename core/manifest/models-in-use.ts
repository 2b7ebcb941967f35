// The models a sweep loads: every pair's target, and a pair's draft only when some cell drafts with it (a
// spec_type with a draft model, or parallel cells with the draft). A sweep of draftless types alone (n-gram,
// MTP) never loads the drafts its pairs name, so agents need not hold them.
import { specTypeTraits } from "../spec-types.js";
import type { Manifest } from "./manifest.js";

export function modelsInUse(m: Pick<Manifest, "pairs" | "sweep" | "parallel">): Set<string> {
  const draftsUsed =
    m.sweep.specType.some((t) => specTypeTraits(t).draftModel) || (m.parallel?.draft.includes(true) ?? false);
  const used = new Set<string>();
  for (const p of m.pairs) {
    used.add(p.target);
    if (draftsUsed && p.draft !== undefined) used.add(p.draft);
  }
  return used;
}
