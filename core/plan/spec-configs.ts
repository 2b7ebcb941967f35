// The speculative configurations of a sweep: every spec_type, crossed with its own settings (each listed
// value a dimension), with K and p_min where the type drafts K tokens. The n-gram types size their drafts
// with settings of their own, so K and p_min do not multiply them. Shared by the planner and the manifest's
// grid-size check so both count the same cells.
import type { KPolicy } from "../cell.js";
import { SPEC_TYPES, isSpecTypeName, specSettingKey, specTypeParts, specTypeTraits } from "../spec-types.js";

export interface SpecConfig {
  specType: string;
  /** By specSettingKey; absent when the manifest sets none for the type. */
  specSettings?: Record<string, number>;
  /** Index into the sweep's K list and the K itself; absent for types that do not draft K. */
  kIndex?: number;
  k?: KPolicy;
  pMin?: number;
  /** Tree drafting (llama-speculative): draft sequences and the branch-split probability, where listed. */
  nParallel?: number;
  pSplit?: number;
  /** Runs with the pair's draft model; the others are planned once per target, without a draft. */
  draftModel: boolean;
}

/** The cartesian product of a type value's listed settings, in the manifest's order; [undefined] for none. */
export function settingCombos(
  specType: string,
  specSettings: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>>,
): Array<Record<string, number> | undefined> {
  const dims: Array<[string, readonly number[]]> = [];
  for (const part of specTypeParts(specType)) {
    if (!isSpecTypeName(part)) continue;
    const listed = specSettings[part] ?? {};
    for (const setting of SPEC_TYPES[part].settings as readonly string[]) {
      const values = listed[setting];
      if (values !== undefined && values.length > 0) dims.push([specSettingKey(part, setting), values]);
    }
  }
  let combos: Array<Record<string, number>> = [{}];
  for (const [key, values] of dims) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  return combos.map((c) => (Object.keys(c).length === 0 ? undefined : c));
}

/** A speculative cell's tree configuration: nothing, a single sequence, or branches with a split probability. */
export type TreeConfig = Pick<SpecConfig, "nParallel" | "pSplit">;

/** The manifest's tree configurations: n_parallel 1 once, every p_split for each n_parallel above 1. */
export function treeConfigs(tree?: {
  nParallel: readonly number[];
  pSplit: readonly number[];
}): TreeConfig[] {
  if (tree === undefined) return [{}];
  return tree.nParallel.flatMap((nParallel) =>
    nParallel > 1 ? tree.pSplit.map((pSplit) => ({ nParallel, pSplit })) : [{ nParallel }],
  );
}

/**
 * Every configuration in plan order: spec type, its settings, then for types that draft K: K, p_min and
 * the tree configuration (p_min outer).
 */
export function specConfigs(sweep: {
  specType: readonly string[];
  specSettings: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>>;
  k: readonly KPolicy[];
  pMin: readonly number[];
  tree?: { nParallel: readonly number[]; pSplit: readonly number[] };
}): SpecConfig[] {
  const trees = treeConfigs(sweep.tree);
  const out: SpecConfig[] = [];
  for (const specType of sweep.specType) {
    const traits = specTypeTraits(specType);
    for (const specSettings of settingCombos(specType, sweep.specSettings)) {
      const base = { specType, draftModel: traits.draftModel, ...(specSettings ? { specSettings } : {}) };
      if (!traits.usesK) {
        out.push(base);
        continue;
      }
      sweep.k.forEach((k, kIndex) => {
        for (const pMin of sweep.pMin)
          for (const tree of trees) out.push({ ...base, kIndex, k, pMin, ...tree });
      });
    }
  }
  return out;
}
