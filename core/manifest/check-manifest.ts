// Rules that span several keys. They run on the raw parsed YAML, not on the schema's output, so they are
// reported together with schema errors elsewhere in the file: the user sees every problem in one pass.
import { ADAPTIVE_K_DEFAULTS } from "../cell.js";
import { DEFAULT_ENGINE, ENGINE_TRAITS, MANIFEST_ENGINES, engineTraitsOf } from "../engines.js";
import {
  DEFAULT_SPEC_TYPE,
  SPEC_TYPES,
  SPEC_TYPE_NAMES,
  isSpecTypeName,
  specTypeParts,
  specTypeTraits,
} from "../spec-types.js";
import type { DataPath } from "./locate-yaml-path.js";
import { nearestKey } from "./nearest-key.js";

export interface RawIssue {
  path: DataPath;
  message: string;
  /** Report at the key itself rather than its value. */
  atKey?: boolean;
}

/** K range the in-process engine accepts (its sampler verifies at most kMax drafted tokens per step). */
const IN_PROCESS_K_MAX = ENGINE_TRAITS["in-process"].kMax;

// The engines a manifest may name that choose K per step, that draft a tree (n_parallel, p_split), and that
// run from a llama.cpp build (beside which llama-bench baselines run).
const ADAPTIVE_ENGINES = MANIFEST_ENGINES.filter((n) => ENGINE_TRAITS[n].adaptiveK);
const TREE_ENGINES = MANIFEST_ENGINES.filter((n) => ENGINE_TRAITS[n].treeDrafting);
const LLAMA_CPP_ENGINES = MANIFEST_ENGINES.filter((n) => ENGINE_TRAITS[n].tools.length > 0);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function field(v: unknown, key: string): unknown {
  return isRecord(v) ? v[key] : undefined;
}

/** The manifest's engine as written (the schema reports one that is not a string), else the default. */
function engineOf(raw: unknown): string {
  const engine = field(raw, "engine");
  return typeof engine === "string" ? engine : DEFAULT_ENGINE;
}

function checkPairs(raw: unknown, issues: RawIssue[]): void {
  const models = field(raw, "models");
  const names = isRecord(models) ? Object.keys(models) : [];
  const pairs = field(raw, "pairs");
  if (!Array.isArray(pairs)) return;
  const seen = new Map<string, number>();
  pairs.forEach((pair: unknown, i) => {
    for (const role of ["target", "draft"] as const) {
      const name = field(pair, role);
      if (typeof name !== "string" || names.includes(name)) continue;
      const guess = nearestKey(name, names);
      const known = names.length === 0 ? "models: is empty" : `models defines ${names.join(", ")}`;
      issues.push({
        path: ["pairs", i, role],
        message: `unknown model "${name}" (${known})${guess === undefined ? "" : `; did you mean "${guess}"?`}`,
      });
    }
    const id = `${String(field(pair, "target"))}\u0000${String(field(pair, "draft"))}`;
    const first = seen.get(id);
    if (first !== undefined) issues.push({ path: ["pairs", i], message: `duplicates pairs[${first}]` });
    else seen.set(id, i);
  });
}

function checkModels(raw: unknown, issues: RawIssue[]): void {
  const models = field(raw, "models");
  if (!isRecord(models)) return;
  for (const [name, model] of Object.entries(models)) {
    if (isRecord(model) && model.file === undefined && model.sha256 === undefined) {
      issues.push({
        path: ["models", name],
        message: "a model needs file (its name on the agents' model dirs) and/or sha256",
      });
    }
  }
}

/** Repeated grid values would plan the same cell twice under one id. */
function checkDistinct(raw: unknown, path: DataPath, issues: RawIssue[]): void {
  let list: unknown = raw;
  for (const seg of path) list = field(list, String(seg));
  if (!Array.isArray(list)) return;
  const seen = new Map<string, number>();
  list.forEach((v: unknown, i) => {
    const key = JSON.stringify(v);
    const first = seen.get(key);
    if (first !== undefined)
      issues.push({ path: [...path, i], message: `${key} repeats item [${first}]; list each value once` });
    else seen.set(key, i);
  });
}

function checkEngineSupport(raw: unknown, issues: RawIssue[]): void {
  const engine = engineOf(raw);
  const ks = field(field(raw, "sweep"), "k");
  const hasAdaptive = Array.isArray(ks) && ks.includes("adaptive");
  if (Array.isArray(ks) && engineTraitsOf(engine)?.adaptiveK !== true) {
    ks.forEach((k: unknown, i) => {
      if (k === "adaptive") {
        issues.push({
          path: ["sweep", "k", i],
          message: `"adaptive" K needs engine: ${ADAPTIVE_ENGINES.join(" or ")} (engine ${engine} drafts a fixed K per process)`,
        });
      }
    });
  }
  const adaptive = field(raw, "adaptive");
  if (isRecord(adaptive)) {
    const d = ADAPTIVE_K_DEFAULTS;
    const kMin = typeof adaptive.k_min === "number" ? adaptive.k_min : d.kMin;
    const kMax = typeof adaptive.k_max === "number" ? adaptive.k_max : d.kMax;
    const kStart = typeof adaptive.k_start === "number" ? adaptive.k_start : d.kStart;
    const raise = typeof adaptive.raise_above === "number" ? adaptive.raise_above : d.raiseAbove;
    const lower = typeof adaptive.lower_below === "number" ? adaptive.lower_below : d.lowerBelow;
    if (!(kMin <= kStart && kStart <= kMax)) {
      issues.push({
        path: ["adaptive"],
        message: `need k_min <= k_start <= k_max (got ${kMin}, ${kStart}, ${kMax})`,
      });
    }
    if (kMax > IN_PROCESS_K_MAX) {
      issues.push({
        path: ["adaptive", "k_max"],
        message: `the in-process engine drafts at most ${IN_PROCESS_K_MAX} tokens per step`,
      });
    }
    if (!(lower < raise)) {
      issues.push({
        path: ["adaptive"],
        message: `need lower_below < raise_above (got ${lower} and ${raise})`,
      });
    }
    if (!hasAdaptive)
      issues.push({
        path: ["adaptive"],
        atKey: true,
        message: 'has no effect: add "adaptive" to sweep.k or drop this block',
      });
  }
}

/** spec_type values the engine runs, and spec_settings naming types and settings llama.cpp has. */
function checkSpecTypes(raw: unknown, issues: RawIssue[]): void {
  const engine = engineOf(raw);
  const runs: readonly string[] = engineTraitsOf(engine)?.speculation ?? [];
  const sweep = field(raw, "sweep");
  const types = field(sweep, "spec_type");
  const listed = new Set<string>();
  if (Array.isArray(types)) {
    types.forEach((value: unknown, i) => {
      if (typeof value !== "string") return;
      for (const part of specTypeParts(value)) {
        listed.add(part);
        if (isSpecTypeName(part) && !runs.includes(part)) {
          issues.push({
            path: ["sweep", "spec_type", i],
            message: `engine ${engine} cannot run spec_type ${part} (it runs ${runs.join(", ") || "no speculation"}); use engine: ${MANIFEST_ENGINES.filter((e) => (ENGINE_TRAITS[e].speculation as readonly string[]).includes(part)).join(" or ")}`,
          });
        }
      }
    });
  }
  const settings = field(sweep, "spec_settings");
  if (!isRecord(settings)) return;
  for (const [type, values] of Object.entries(settings)) {
    if (!isSpecTypeName(type)) {
      const guess = nearestKey(type, SPEC_TYPE_NAMES);
      issues.push({
        path: ["sweep", "spec_settings", type],
        atKey: true,
        message: `unknown speculation type "${type}"${guess === undefined ? "" : `; did you mean "${guess}"?`} (types: ${SPEC_TYPE_NAMES.join(", ")})`,
      });
      continue;
    }
    if (!listed.has(type)) {
      issues.push({
        path: ["sweep", "spec_settings", type],
        atKey: true,
        message: `has no effect: sweep.spec_type does not list ${type}`,
      });
    }
    const known: readonly string[] = SPEC_TYPES[type].settings;
    if (!isRecord(values)) continue;
    for (const setting of Object.keys(values)) {
      if (known.includes(setting)) continue;
      const guess = nearestKey(setting, known);
      issues.push({
        path: ["sweep", "spec_settings", type, setting],
        atKey: true,
        message:
          known.length === 0
            ? `${type} takes no settings of its own`
            : `${type} has no setting "${setting}"${guess === undefined ? "" : `; did you mean "${guess}"?`} (llama.cpp spells them ${known.map((k) => `${k} (--spec-${type}-${k})`).join(", ")})`,
      });
    }
  }
}

/** The types that run without a draft model, for messages. */
const DRAFTLESS_TYPES = SPEC_TYPE_NAMES.filter((t) => !SPEC_TYPES[t].draftModel);

/**
 * What a pair without a draft cannot run (a spec_type or a parallel cell that drafts with the pair's draft),
 * and sweep.k where a listed type drafts K tokens: the n-gram types size their own drafts, so a sweep of
 * those alone needs no k.
 */
function checkDraftNeeds(raw: unknown, issues: RawIssue[]): void {
  const sweep = field(raw, "sweep");
  const listed = field(sweep, "spec_type");
  const types = Array.isArray(listed)
    ? listed.filter((t): t is string => typeof t === "string")
    : [DEFAULT_SPEC_TYPE];
  const typesText = Array.isArray(listed)
    ? "sweep.spec_type"
    : `sweep.spec_type (default [${DEFAULT_SPEC_TYPE}])`;
  const needDraft = types.filter((t) => specTypeTraits(t).draftModel);
  const parallel = field(raw, "parallel");
  const parallelDraft = field(parallel, "draft") ?? [false, true];
  const parallelNeedsDraft =
    isRecord(parallel) && Array.isArray(parallelDraft) && parallelDraft.includes(true);
  const pairs = field(raw, "pairs");
  if (Array.isArray(pairs)) {
    pairs.forEach((pair: unknown, i) => {
      if (!isRecord(pair) || pair.draft !== undefined) return;
      const which = `pairs[${i}] (target ${JSON.stringify(pair.target)})`;
      if (needDraft.length > 0) {
        issues.push({
          path: ["pairs", i],
          message: `${which} has no draft, and ${typesText} lists ${needDraft.join(", ")}, which drafts with a draft model: add draft: <model> to the pair, or list only draftless types (${DRAFTLESS_TYPES.join(", ")})`,
        });
      }
      if (parallelNeedsDraft) {
        issues.push({
          path: ["pairs", i],
          message: `${which} has no draft, and parallel.draft${field(parallel, "draft") === undefined ? " (default [false, true])" : ""} asks for parallel cells with the pair's draft: set parallel.draft: [false], or add draft: <model> to the pair`,
        });
      }
    });
  }
  const needK = types.filter((t) => specTypeTraits(t).usesK);
  if (isRecord(sweep) && sweep.k === undefined && needK.length > 0) {
    issues.push({
      path: ["sweep", "k"],
      message: `required key is missing: ${typesText} lists ${needK.join(", ")}, which drafts K tokens per step (e.g. k: [2, 4, 8]); only the n-gram types size their own drafts and run without k`,
    });
  }
}

function checkParallel(raw: unknown, issues: RawIssue[]): void {
  const parallel = field(raw, "parallel");
  if (!isRecord(parallel)) return;
  const draft = parallel.draft ?? [false, true];
  const ks = field(field(raw, "sweep"), "k");
  const hasFixedK = Array.isArray(ks) && ks.some((k) => typeof k === "number");
  if (Array.isArray(draft) && draft.includes(true) && parallel.k === undefined && !hasFixedK) {
    issues.push({
      path: ["parallel"],
      message: "parallel cells with a draft need a K: set parallel.k (sweep.k has no fixed K)",
    });
  }
}

/** Tree drafting runs only on engines with treeDrafting, and p_split only splits where there are branches. */
function checkTree(raw: unknown, issues: RawIssue[]): void {
  const sweep = field(raw, "sweep");
  const nParallel = field(sweep, "n_parallel");
  const pSplit = field(sweep, "p_split");
  if (nParallel === undefined && pSplit === undefined) return;
  const engine = engineOf(raw);
  if (engineTraitsOf(engine)?.treeDrafting !== true) {
    issues.push({
      path: ["sweep", nParallel === undefined ? "p_split" : "n_parallel"],
      atKey: true,
      message: `tree drafting (n_parallel, p_split) runs on engine: ${TREE_ENGINES.join(", ")} only (engine ${engine} drafts one sequence); set engine: ${TREE_ENGINES.join(" or ")} or drop the key`,
    });
    return;
  }
  const branches = Array.isArray(nParallel) && nParallel.some((n) => typeof n === "number" && n > 1);
  if (pSplit !== undefined && !branches) {
    issues.push({
      path: ["sweep", "p_split"],
      atKey: true,
      message: "has no effect without a draft tree: list an n_parallel above 1 (e.g. n_parallel: [1, 2, 4])",
    });
  }
}

/** llama-bench baselines run beside a llama.cpp engine, from the same build. */
function checkLlamaBench(raw: unknown, issues: RawIssue[]): void {
  if (field(raw, "llama_bench") === undefined) return;
  const engine = engineOf(raw);
  if (engineTraitsOf(engine)?.tools.length === 0) {
    issues.push({
      path: ["llama_bench"],
      atKey: true,
      message: `llama-bench baselines run beside a llama.cpp engine (${LLAMA_CPP_ENGINES.join(", ")}), from its build; engine ${engine} has none: pick one or drop llama_bench`,
    });
  }
}

function checkPlacement(raw: unknown, issues: RawIssue[]): void {
  const placement = field(raw, "placement");
  if (isRecord(placement) && placement.hosts === undefined && placement.gpu === undefined) {
    issues.push({
      path: ["placement"],
      message: 'a placement selector needs hosts: [names] and/or gpu: "glob"',
    });
  }
}

export function checkManifest(raw: unknown): RawIssue[] {
  const issues: RawIssue[] = [];
  checkModels(raw, issues);
  checkPairs(raw, issues);
  for (const path of [
    ["sweep", "spec_type"],
    ["sweep", "k"],
    ["sweep", "temperature"],
    ["sweep", "p_min"],
    ["sweep", "n_parallel"],
    ["sweep", "p_split"],
    ["parallel", "concurrency"],
    ["parallel", "draft"],
  ]) {
    checkDistinct(raw, path, issues);
  }
  checkEngineSupport(raw, issues);
  checkSpecTypes(raw, issues);
  checkDraftNeeds(raw, issues);
  checkParallel(raw, issues);
  checkTree(raw, issues);
  checkLlamaBench(raw, issues);
  checkPlacement(raw, issues);
  return issues;
}
