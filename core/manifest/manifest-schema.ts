// The sweep manifest as written in YAML (snake_case keys). Every object is strict, so a typo'd key is an
// error rather than a silently ignored setting. Defaults live here and are listed in docs/manifest.md.
// Cross-field rules (pairs naming known models, prompt files, engine support) live in check-manifest.ts,
// because they must be reported even when other parts of the manifest fail the schema.
import { z } from "zod";

import { ADAPTIVE_K_DEFAULTS } from "../cell.js";
import { DEFAULT_ENGINE, MANIFEST_ENGINES } from "../engines.js";
import { DEFAULT_SPEC_TYPE, SPEC_TYPE_NAMES, specTypeParts } from "../spec-types.js";

/** The engines a manifest may name (core/engines.ts). */
export { MANIFEST_ENGINES };

const modelNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "model names use letters, digits, '.', '_' and '-' only");

const modelSchema = z.strictObject({
  file: z
    .string()
    .min(1)
    .refine((f) => !/[/\\]/.test(f) && f !== "." && f !== "..", {
      message: "a model file is a file name on the agents' model dirs, not a path (drop the folders)",
    })
    .optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "sha256 must be 64 hex characters (run `sha256sum model.gguf`)")
    .optional(),
});

// a pair without a draft runs only the draftless speculation types (n-gram, MTP) on its target
const pairSchema = z.strictObject({ target: modelNameSchema, draft: modelNameSchema.optional() });

const categoryNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, "a category is lower-case letters, digits and '-', e.g. code");

const promptSchema = z.union(
  [
    z.string().trim().min(1, "a prompt may not be empty"),
    z.strictObject({ file: z.string().min(1, "give the prompt file's path, relative to the manifest") }),
    z.strictObject({
      text: z.string().trim().min(1, "a prompt may not be empty"),
      category: categoryNameSchema,
    }),
  ],
  {
    error:
      "a prompt is a string, { file: prompts.txt } (one prompt per line) or { text: ..., category: code }",
  },
);

/** specgrid's own prompt suite (core/prompts), every category unless some are listed. */
const promptSuiteSchema = z.strictObject({
  suite: z.string().min(1, "name a prompt suite, e.g. suite: default"),
  categories: z.array(categoryNameSchema).min(1, "list at least one category or drop the key").optional(),
});

const kValueSchema = z.union(
  [
    z
      .number()
      .int("K is a whole number of draft tokens")
      .min(1, "K must be at least 1 (K = 0 drafts nothing; llama-speculative-simple aborts with it)"),
    z.literal("adaptive"),
  ],
  { error: 'K is a whole number >= 1 or "adaptive"' },
);

const temperatureSchema = z.number().min(0, "temperature must be >= 0 (0 is greedy)");

const probabilitySchema = z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1");

// a speculation type as --spec-type takes it: one type or a comma list (`ngram-mod,draft-simple`)
const specTypeSchema = z
  .string()
  .trim()
  .min(1, "a spec_type may not be empty")
  .refine((v) => specTypeParts(v).every((t) => (SPEC_TYPE_NAMES as readonly string[]).includes(t)), {
    message: `a spec_type is one of ${SPEC_TYPE_NAMES.join(", ")}, or several joined by commas`,
  });

// per-type settings, each a list of values (a dimension): { ngram-mod: { n-match: [16, 24] } }
const specSettingsSchema = z.record(
  z.string(),
  z.record(
    z.string(),
    z
      .array(z.number().int("a speculation setting is a whole number").min(0, "must be >= 0"))
      .min(1, "list at least one value, e.g. [24]"),
  ),
);

const sweepSchema = z
  .strictObject({
    spec_type: z
      .array(specTypeSchema)
      .min(1, `list at least one spec_type or drop the key (default [${DEFAULT_SPEC_TYPE}])`)
      .default([DEFAULT_SPEC_TYPE]),
    spec_settings: specSettingsSchema.optional(),
    // required unless every spec_type sizes its drafts itself (the n-gram types): check-manifest.ts
    k: z.array(kValueSchema).min(1, "list at least one K, e.g. k: [2, 4, 8]").optional(),
    temperature: z.array(temperatureSchema).min(1, "list at least one temperature, e.g. temperature: [0]"),
    p_min: z
      .array(probabilitySchema)
      .min(1, "list at least one p_min or drop the key (default [0.0])")
      .default([0]),
    // tree drafting (llama-speculative): draft sequences (tree branches) and the branch-split probability
    n_parallel: z
      .array(z.number().int().min(1, "n_parallel is a count of draft sequences, at least 1").max(64))
      .min(1, "list at least one n_parallel or drop the key")
      .optional(),
    p_split: z.array(probabilitySchema).min(1, "list at least one p_split or drop the key").optional(),
    n_predict: z.number().int().min(1, "n_predict must be at least 1").max(1_000_000).default(128),
    repeats: z.number().int().min(1, "repeats must be at least 1").max(1000).default(1),
    seed: z
      .number()
      .int()
      .min(0, "seed must be >= 0 (a negative seed means random in llama.cpp)")
      .default(42),
    // adaptive repeats: the coordinator adds repeats to groups whose interval is wider than rel_ci
    precision: z
      .strictObject({
        rel_ci: z
          .number()
          .gt(0, "rel_ci is the 95% interval's half-width over the estimate, e.g. 0.05 for ±5%")
          .max(1, "rel_ci above 1 (±100%) asks for nothing; e.g. 0.05"),
        max_repeats: z.number().int().min(2, "max_repeats must be at least 2 to add any repeat").max(1000),
      })
      .optional(),
  })
  .superRefine((sweep, ctx) => {
    if (sweep.precision !== undefined && sweep.precision.max_repeats < sweep.repeats) {
      ctx.addIssue({
        code: "custom",
        path: ["precision", "max_repeats"],
        message: `max_repeats ${sweep.precision.max_repeats} is below repeats ${sweep.repeats}: the cap counts the repeats the sweep starts with, so raise max_repeats to at least ${sweep.repeats} or lower repeats`,
      });
    }
  });

const adaptiveSchema = z.strictObject({
  k_min: z.number().int().min(1).default(ADAPTIVE_K_DEFAULTS.kMin),
  k_max: z.number().int().min(1).default(ADAPTIVE_K_DEFAULTS.kMax),
  k_start: z.number().int().min(1).default(ADAPTIVE_K_DEFAULTS.kStart),
  raise_above: probabilitySchema.default(ADAPTIVE_K_DEFAULTS.raiseAbove),
  lower_below: probabilitySchema.default(ADAPTIVE_K_DEFAULTS.lowerBelow),
});

const parallelSchema = z.strictObject({
  concurrency: z.array(z.number().int().min(1, "concurrency must be at least 1").max(256)).min(1),
  requests: z.number().int().min(1, "requests must be at least 1"),
  draft: z.array(z.boolean()).min(1).default([false, true]),
  k: z.number().int().min(1, "K must be at least 1").optional(),
  temperature: temperatureSchema.optional(),
});

const placementSchema = z.union(
  [
    z.enum(["spread", "every-host"]),
    z.strictObject({
      hosts: z.array(z.string().min(1)).min(1).optional(),
      gpu: z.string().min(1).optional(),
    }),
  ],
  { error: 'placement is "spread", "every-host" or { hosts: [names], gpu: "glob" }' },
);

const llamaSchema = z.strictObject({
  gpu_layers: z.number().int().min(0, "gpu_layers must be >= 0 (99 offloads every layer)").default(99),
  ctx: z.number().int().min(64, "ctx below 64 tokens cannot hold a prompt").default(4096),
  threads: z.number().int().min(1).optional(),
  flash_attn: z.enum(["auto", "on", "off"]).default("auto"),
  batch: z.number().int().min(1).optional(),
});

// llama-bench baselines beside the sweep's engine: `llama-bench -p 0 -n n_predict -r repetitions -o json`
const llamaBenchSchema = z.strictObject({
  repetitions: z
    .number()
    .int()
    .min(1, "repetitions must be at least 1 (llama-bench -r)")
    .max(1000)
    .default(5),
  n_prompt: z
    .number()
    .int()
    .min(1, "n_prompt is the pp test's prompt length in tokens, at least 1; drop it for tg only")
    .optional(),
});

const estimateSchema = z.strictObject({
  decode_tps: z.number().positive("decode_tps must be > 0").default(30),
  speculative_factor: z.number().positive().default(1),
  load_ms: z.number().min(0).default(5000),
});

export const manifestSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "name uses letters, digits, '.', '_' and '-' only"),
  description: z.string().optional(),
  models: z.record(modelNameSchema, modelSchema),
  pairs: z
    .array(pairSchema)
    .min(1, "list at least one { target, draft } pair ({ target } alone for draftless spec_types)"),
  prompts: z.union([z.array(promptSchema).min(1, "list at least one prompt"), promptSuiteSchema], {
    error: (issue) =>
      issue.input === undefined
        ? "required key is missing (expected a list of prompts or a suite)"
        : "prompts is a list of prompts or a suite, e.g. prompts: { suite: default, categories: [code, chat] }",
  }),
  sweep: sweepSchema,
  adaptive: adaptiveSchema.optional(),
  baseline: z.boolean().default(true),
  llama_bench: llamaBenchSchema.optional(),
  parallel: parallelSchema.optional(),
  placement: placementSchema.default("spread"),
  engine: z.enum(MANIFEST_ENGINES).default(DEFAULT_ENGINE),
  llama: llamaSchema.default({ gpu_layers: 99, ctx: 4096, flash_attn: "auto" }),
  estimate: estimateSchema.default({ decode_tps: 30, speculative_factor: 1, load_ms: 5000 }),
});

export type ManifestYaml = z.output<typeof manifestSchema>;
