// The speculation types llama.cpp runs (`--spec-type`), one table: what each needs (a draft model, heads
// inside a GGUF, or nothing), whether it drafts K tokens (`--spec-draft-n-max`) and which settings of its
// own it takes. Names are spelled as llama.cpp spells them: a type as `--spec-type` lists it, a setting as
// the flag after `--spec-<type>-` (`ngram-mod` + `n-match` is `--spec-ngram-mod-n-match`), as the build at
// 80fb11ac (node-llama-cpp 3.21.1) prints them in `llama-server --help`. A sweep value may combine types
// the way llama.cpp does, `ngram-mod,draft-simple`.

/** Heads a type reads from a GGUF, and where llama.cpp looks for them (common/speculative.cpp). */
export interface HeadsNeed {
  /** The model whose GGUF must carry them: the target itself (MTP) or the model given as the draft. */
  in: "target" | "draft";
  /** What the heads are called in messages. */
  what: string;
}

export interface SpecTypeTraits {
  /** A draft model (`-md`): draft-simple drafts with one; the head types load their heads from it. */
  draftModel: boolean;
  /** Drafts up to K tokens (`--spec-draft-n-max`), and p_min applies; the n-gram types size drafts themselves. */
  usesK: boolean;
  /** Settings of its own, each `--spec-<type>-<setting>`. */
  settings: readonly string[];
  heads?: HeadsNeed;
}

export const SPEC_TYPES = {
  "draft-simple": { draftModel: true, usesK: true, settings: [] },
  "draft-eagle3": {
    draftModel: true,
    usesK: true,
    settings: [],
    heads: { in: "draft", what: "EAGLE-3 heads (general.architecture eagle3)" },
  },
  "draft-mtp": {
    draftModel: false,
    usesK: true,
    settings: [],
    heads: { in: "target", what: "MTP heads (<arch>.nextn_predict_layers and blk.N.nextn.* tensors)" },
  },
  "draft-dflash": {
    draftModel: true,
    usesK: true,
    settings: [],
    heads: { in: "draft", what: "DFlash heads (general.architecture dflash)" },
  },
  "draft-dspark": {
    draftModel: true,
    usesK: true,
    settings: [],
    heads: { in: "draft", what: "DSpark heads (general.architecture dflash with a markov_w1 tensor)" },
  },
  "ngram-simple": { draftModel: false, usesK: false, settings: ["size-n", "size-m", "min-hits"] },
  "ngram-map-k": { draftModel: false, usesK: false, settings: ["size-n", "size-m", "min-hits"] },
  "ngram-map-k4v": { draftModel: false, usesK: false, settings: ["size-n", "size-m", "min-hits"] },
  "ngram-mod": { draftModel: false, usesK: false, settings: ["n-match", "n-min", "n-max"] },
  "ngram-cache": { draftModel: false, usesK: false, settings: [] },
} as const satisfies Record<string, SpecTypeTraits>;

export type SpecTypeName = keyof typeof SPEC_TYPES;
export const SPEC_TYPE_NAMES = Object.keys(SPEC_TYPES) as [SpecTypeName, ...SpecTypeName[]];

/** What every sweep ran before the type was a dimension, and the default of `sweep.spec_type`. */
export const DEFAULT_SPEC_TYPE = "draft-simple";

export function isSpecTypeName(name: string): name is SpecTypeName {
  return Object.hasOwn(SPEC_TYPES, name);
}

/** The types of a sweep value, `ngram-mod,draft-simple` → [ngram-mod, draft-simple]. */
export function specTypeParts(specType: string): string[] {
  return specType
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** The traits of a (possibly combined) value: a draft model or K when any part needs one. */
export function specTypeTraits(specType: string): {
  draftModel: boolean;
  usesK: boolean;
  heads: Array<HeadsNeed & { type: SpecTypeName }>;
  unknown: string[];
} {
  const out = {
    draftModel: false,
    usesK: false,
    heads: [] as Array<HeadsNeed & { type: SpecTypeName }>,
    unknown: [] as string[],
  };
  for (const part of specTypeParts(specType)) {
    if (!isSpecTypeName(part)) {
      out.unknown.push(part);
      continue;
    }
    const t: SpecTypeTraits = SPEC_TYPES[part];
    out.draftModel ||= t.draftModel;
    out.usesK ||= t.usesK;
    if (t.heads !== undefined) out.heads.push({ ...t.heads, type: part });
  }
  return out;
}

/** A setting's key in a cell's specSettings and its flag: `ngram-mod` + `n-match` → `ngram-mod-n-match`. */
export function specSettingKey(type: string, setting: string): string {
  return `${type}-${setting}`;
}

/** The llama.cpp flag of a specSettings key, `ngram-mod-n-match` → `--spec-ngram-mod-n-match`. */
export function specSettingFlag(key: string): string {
  return `--spec-${key}`;
}

/**
 * A speculation method in words, for tables and group keys: the type and its settings,
 * `ngram-mod n-match=24 n-min=48`; `draft-simple` alone when nothing else is set.
 */
export function specLabel(specType: string | undefined, settings?: Readonly<Record<string, number>>): string {
  const type = specType ?? DEFAULT_SPEC_TYPE;
  const entries = Object.entries(settings ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return type;
  // a single-type value names its settings without repeating the type
  const parts = specTypeParts(type);
  const prefix = parts.length === 1 ? `${parts[0]}-` : "";
  const shown = entries.map(([k, v]) => `${k.startsWith(prefix) ? k.slice(prefix.length) : k}=${v}`);
  return `${type} ${shown.join(" ")}`;
}

/** GGUF metadata a head type is checked against (core/gguf/read-gguf-facts reads it from the header). */
export interface SpeculationHeadFacts {
  architecture: string;
  heads: {
    /** `<arch>.nextn_predict_layers`, where present. */
    nextnPredictLayers?: number;
    /** The last block carries `blk.N.nextn.eh_proj.weight` (what llama.cpp's MTP detection looks for). */
    nextnTensors: boolean;
    /** A `markov_w1.weight` tensor (DSpark's Markov head). */
    markovHead: boolean;
  };
}

/**
 * Why a model cannot serve a head type, naming the missing metadata; undefined when it carries the heads.
 * The rules follow llama.cpp's own detection (common/speculative.cpp, `common_speculative_types_from_gguf`).
 */
export function missingHeads(type: SpecTypeName, facts: SpeculationHeadFacts): string | undefined {
  const { architecture, heads } = facts;
  const layers = heads.nextnPredictLayers ?? 0;
  switch (type) {
    case "draft-mtp":
      if (layers > 0 && heads.nextnTensors) return undefined;
      return layers > 0
        ? `it declares ${architecture}.nextn_predict_layers = ${layers} but has no blk.N.nextn.eh_proj tensor in its last block`
        : `its GGUF has no ${architecture}.nextn_predict_layers metadata (no MTP heads)`;
    case "draft-eagle3":
      return architecture === "eagle3"
        ? undefined
        : `its general.architecture is ${architecture}, not eagle3 (no EAGLE-3 heads)`;
    case "draft-dflash":
      return architecture === "dflash"
        ? undefined
        : `its general.architecture is ${architecture}, not dflash (no DFlash heads)`;
    case "draft-dspark":
      if (architecture !== "dflash")
        return `its general.architecture is ${architecture}, not dflash (no DSpark heads)`;
      return heads.markovHead ? undefined : "it has no markov_w1.weight tensor (a DFlash model, not DSpark)";
    default:
      return undefined;
  }
}
