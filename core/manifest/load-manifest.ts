// Reads a sweep manifest: YAML → schema (zod) → cross-field rules → prompt files → the resolved Manifest.
// Every problem found on the way is collected and thrown together as one ManifestError, each located at
// its YAML path, line and column, so a user fixes a manifest in one round instead of one error per run.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { ManifestError, type ManifestIssue } from "../errors.js";
import { checkManifest, type RawIssue } from "./check-manifest.js";
import { formatDataPath, locateYamlKey, locateYamlPath } from "./locate-yaml-path.js";
import type { Manifest, ManifestK } from "./manifest.js";
import { manifestSchema, type ManifestYaml } from "./manifest-schema.js";
import { nearestKey } from "./nearest-key.js";
import { resolvePrompts } from "./resolve-prompts.js";
import { schemaKeysAt } from "./schema-keys-at.js";

export interface LoadManifestOptions {
  /** Let prompt files live outside the manifest's folder. @default false */
  allowOutsidePrompts?: boolean;
  /** Refuse grids larger than this many cells (a typo can multiply a grid). @default 1_000_000 */
  maxCells?: number;
  /** Longest prompt accepted, bytes. @default 65_536 */
  maxPromptBytes?: number;
}

const DEFAULT_MAX_CELLS = 1_000_000;
const DEFAULT_MAX_PROMPT_BYTES = 65_536;

type ZodIssue = z.core.$ZodIssue;

/** Union errors list every branch; the useful one is the branch whose type matched but whose value did not. */
function unionMessage(issue: ZodIssue & { code: "invalid_union" }): ZodIssue[] | undefined {
  for (const branch of issue.errors) {
    if (branch.length > 0 && branch.every((e) => e.code !== "invalid_type" && e.code !== "invalid_value")) {
      return branch.map((e) => ({ ...e, path: [...issue.path, ...e.path] }));
    }
  }
  return undefined;
}

function schemaIssues(issues: readonly ZodIssue[]): RawIssue[] {
  const out: RawIssue[] = [];
  for (const issue of issues) {
    const at = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      const valid = schemaKeysAt(manifestSchema, at);
      for (const key of issue.keys) {
        const guess = nearestKey(key, valid);
        const hint = guess === undefined ? `valid keys: ${valid.join(", ")}` : `did you mean "${guess}"?`;
        out.push({ path: [...at, key], atKey: true, message: `unknown key "${key}"; ${hint}` });
      }
    } else if (issue.code === "invalid_union") {
      const branch = unionMessage(issue);
      if (branch === undefined) out.push({ path: at, message: issue.message });
      else out.push(...schemaIssues(branch));
    } else if (issue.code === "invalid_type" && /received undefined/.test(issue.message)) {
      out.push({ path: at, message: `required key is missing (expected ${issue.expected})` });
    } else {
      out.push({ path: at, message: issue.message });
    }
  }
  return out;
}

function locate(doc: Document, lineCounter: LineCounter, issue: RawIssue): ManifestIssue {
  const position =
    issue.atKey === true && issue.path.length > 0
      ? locateYamlKey(doc, lineCounter, issue.path.slice(0, -1), String(issue.path.at(-1)))
      : locateYamlPath(doc, lineCounter, issue.path);
  return {
    path: formatDataPath(issue.path),
    line: position.line,
    column: position.column,
    message: issue.message,
  };
}

function gridSize(m: ManifestYaml, promptCount: number): number {
  const s = m.sweep;
  const targets = new Set(m.pairs.map((p) => p.target)).size;
  const speculative =
    m.pairs.length * s.k.length * s.p_min.length * s.temperature.length * promptCount * s.repeats;
  const baseline = m.baseline ? targets * s.temperature.length * promptCount * s.repeats : 0;
  const parallel =
    m.parallel === undefined ? 0 : m.pairs.length * m.parallel.concurrency.length * m.parallel.draft.length;
  return speculative + baseline + parallel;
}

function toManifest(m: ManifestYaml, file: string, text: string, prompts: Manifest["prompts"]): Manifest {
  const firstFixedK = m.sweep.k.find((k): k is number => typeof k === "number");
  const ks: ManifestK[] = m.sweep.k;
  const a = m.adaptive;
  return {
    name: m.name,
    ...(m.description === undefined ? {} : { description: m.description }),
    file,
    sourceText: text,
    models: Object.fromEntries(
      Object.entries(m.models).map(([name, model]) => [
        name,
        {
          ...(model.file === undefined ? {} : { file: model.file }),
          ...(model.sha256 === undefined ? {} : { sha256: model.sha256.toLowerCase() }),
        },
      ]),
    ),
    pairs: m.pairs.map((p) => ({ target: p.target, draft: p.draft })),
    prompts,
    sweep: {
      k: ks,
      temperature: m.sweep.temperature,
      pMin: m.sweep.p_min,
      nPredict: m.sweep.n_predict,
      repeats: m.sweep.repeats,
      seed: m.sweep.seed,
    },
    ...(ks.includes("adaptive")
      ? {
          adaptive: {
            kMin: a?.k_min ?? 1,
            kMax: a?.k_max ?? 16,
            kStart: a?.k_start ?? 4,
            raiseAbove: a?.raise_above ?? 0.8,
            lowerBelow: a?.lower_below ?? 0.4,
          },
        }
      : {}),
    baseline: m.baseline,
    ...(m.parallel === undefined
      ? {}
      : {
          parallel: {
            concurrency: m.parallel.concurrency,
            requests: m.parallel.requests,
            draft: m.parallel.draft,
            // checkManifest guarantees a K when any parallel cell uses a draft; 1 is never used otherwise.
            k: m.parallel.k ?? firstFixedK ?? 1,
            temperature: m.parallel.temperature ?? m.sweep.temperature[0] ?? 0,
          },
        }),
    placement: m.placement,
    engine: m.engine,
    llama: {
      gpuLayers: m.llama.gpu_layers,
      ctx: m.llama.ctx,
      ...(m.llama.threads === undefined ? {} : { threads: m.llama.threads }),
      flashAttn: m.llama.flash_attn,
      ...(m.llama.batch === undefined ? {} : { batch: m.llama.batch }),
    },
    estimate: {
      decodeTps: m.estimate.decode_tps,
      speculativeFactor: m.estimate.speculative_factor,
      loadMs: m.estimate.load_ms,
    },
  };
}

/**
 * Parses manifest text. `file` names it in messages; prompt files are resolved against `baseDir`.
 * Throws ManifestError listing every problem found.
 */
export function parseManifest(
  text: string,
  file: string,
  baseDir: string,
  opts: LoadManifestOptions = {},
): Manifest {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ManifestError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          path: "",
          message: `YAML: ${e.message.split("\n")[0] ?? e.message}`,
          line: pos.line,
          column: pos.col,
        };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // yaml throws plain errors for alias bombs ("Excessive alias count") and unresolved aliases
    throw new ManifestError(file, [
      {
        path: "",
        message: `YAML: ${err instanceof Error ? err.message : String(err)}; write the values out instead of using anchors and aliases`,
      },
    ]);
  }
  if (raw === null || raw === undefined || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ManifestError(file, [
      {
        path: "",
        line: 1,
        column: 1,
        message: "a manifest is a YAML mapping with name, models, pairs, prompts and sweep",
      },
    ]);
  }
  const parsed = manifestSchema.safeParse(raw);
  const rawIssues = [...(parsed.success ? [] : schemaIssues(parsed.error.issues)), ...checkManifest(raw)];
  const { prompts, issues: promptIssues } = resolvePrompts((raw as { prompts?: unknown }).prompts, baseDir, {
    allowOutsidePrompts: opts.allowOutsidePrompts ?? false,
    maxPromptBytes: opts.maxPromptBytes ?? DEFAULT_MAX_PROMPT_BYTES,
  });
  rawIssues.push(...promptIssues);
  if (parsed.success && rawIssues.length === 0) {
    const maxCells = opts.maxCells ?? DEFAULT_MAX_CELLS;
    const cells = gridSize(parsed.data, prompts.length);
    if (cells > maxCells) {
      rawIssues.push({
        path: ["sweep"],
        message: `the grid has ${cells} cells, above the limit of ${maxCells}; shrink the lists or split the sweep into several manifests (or raise the limit with --max-cells on validate, plan, run and sweep submit, and on coordinator start)`,
      });
    }
  }
  if (!parsed.success || rawIssues.length > 0) {
    const located = rawIssues.map((i) => locate(doc, lineCounter, i));
    located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new ManifestError(file, located);
  }
  return toManifest(parsed.data, file, text, prompts);
}

export async function loadManifest(file: string, opts: LoadManifestOptions = {}): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new ManifestError(file, [
      { path: "", message: `cannot read the manifest (${code}); check the path` },
    ]);
  }
  return parseManifest(text, file, path.dirname(path.resolve(file)), opts);
}
