// Reads a sweep manifest: YAML → schema (zod) → cross-field rules → prompt files → the resolved Manifest.
// Every problem found on the way is collected and thrown together as one ManifestError, each located at
// its YAML path, line and column, so a user fixes a manifest in one round instead of one error per run.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { ADAPTIVE_K_DEFAULTS } from "../cell.js";
import { ManifestError, type ManifestIssue } from "../errors.js";
import { specConfigs } from "../plan/spec-configs.js";
import { specTypeParts } from "../spec-types.js";
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
  /**
   * Largest manifest accepted, bytes; checked before the file is read (a 50 MB manifest took 1.9 GB to
   * refuse). Long prompt lists belong in prompt files, which have their own limit. @default 4 MiB
   */
  maxManifestBytes?: number;
}

const DEFAULT_MAX_CELLS = 1_000_000;
const DEFAULT_MAX_PROMPT_BYTES = 65_536;
/** Also gRPC's default message limit, so a manifest `validate` accepts can be submitted. */
export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

function tooLarge(file: string, bytes: number, max: number): ManifestError {
  return new ManifestError(file, [
    {
      path: "",
      message: `the manifest is ${bytes} bytes, above the limit of ${max}; a manifest is a few kilobytes: move long prompt lists into a prompt file (prompts: [{ file: prompts.txt }], one prompt per line)`,
    },
  ]);
}

// The yaml package recurses once per nesting level; a deep enough document overflows the stack.
function yamlMessage(message: string): string {
  if (/Maximum call stack size exceeded/.test(message))
    return "the YAML nests too deeply to read (thousands of levels: unclosed or repeated [ or { brackets?); a manifest is a few levels deep: check the brackets";
  return message;
}

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

/** llama.cpp's --spec-draft-p-split default, passed explicitly (defaults move between builds). */
const DEFAULT_P_SPLIT = 0.1;

function gridSize(m: ManifestYaml, promptCount: number): number {
  const s = m.sweep;
  // the planner's own expansion (core/plan/spec-configs); only the number of K values matters here
  const configs = specConfigs({
    specType: s.spec_type,
    specSettings: s.spec_settings ?? {},
    k: (s.k ?? []).map((_, i) => ({ kind: "fixed", k: i + 1 })),
    pMin: s.p_min,
    ...(s.n_parallel === undefined
      ? {}
      : { tree: { nParallel: s.n_parallel, pSplit: s.p_split ?? [DEFAULT_P_SPLIT] } }),
  });
  const lanes =
    configs.filter((c) => c.draftModel).length * m.pairs.filter((p) => p.draft !== undefined).length +
    configs.filter((c) => !c.draftModel).length * new Set(m.pairs.map((p) => p.target)).size;
  const speculative = lanes * s.temperature.length * promptCount * s.repeats;
  // ABAB: every speculative run has its own baseline run (core/plan/plan-sweep)
  const baseline = m.baseline ? speculative : 0;
  const parallel =
    m.parallel === undefined ? 0 : m.pairs.length * m.parallel.concurrency.length * m.parallel.draft.length;
  const bench = m.llama_bench === undefined ? 0 : new Set(m.pairs.map((p) => p.target)).size * s.repeats;
  return speculative + baseline + parallel + bench;
}

function toManifest(m: ManifestYaml, file: string, text: string, prompts: Manifest["prompts"]): Manifest {
  const ks: ManifestK[] = m.sweep.k ?? [];
  const firstFixedK = ks.find((k): k is number => typeof k === "number");
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
    pairs: m.pairs.map((p) => ({ target: p.target, ...(p.draft === undefined ? {} : { draft: p.draft }) })),
    prompts,
    sweep: {
      specType: m.sweep.spec_type.map((t) => specTypeParts(t).join(",")),
      specSettings: m.sweep.spec_settings ?? {},
      k: ks,
      temperature: m.sweep.temperature,
      pMin: m.sweep.p_min,
      ...(m.sweep.n_parallel === undefined
        ? {}
        : { tree: { nParallel: m.sweep.n_parallel, pSplit: m.sweep.p_split ?? [DEFAULT_P_SPLIT] } }),
      nPredict: m.sweep.n_predict,
      repeats: m.sweep.repeats,
      seed: m.sweep.seed,
      ...(m.sweep.precision === undefined
        ? {}
        : { precision: { relCi: m.sweep.precision.rel_ci, maxRepeats: m.sweep.precision.max_repeats } }),
    },
    ...(ks.includes("adaptive")
      ? {
          // the schema fills each key left out from ADAPTIVE_K_DEFAULTS; no `adaptive:` at all takes them all
          adaptive:
            a === undefined
              ? { ...ADAPTIVE_K_DEFAULTS }
              : {
                  kMin: a.k_min,
                  kMax: a.k_max,
                  kStart: a.k_start,
                  raiseAbove: a.raise_above,
                  lowerBelow: a.lower_below,
                },
        }
      : {}),
    baseline: m.baseline,
    ...(m.llama_bench === undefined
      ? {}
      : {
          llamaBench: {
            repetitions: m.llama_bench.repetitions,
            ...(m.llama_bench.n_prompt === undefined ? {} : { nPrompt: m.llama_bench.n_prompt }),
          },
        }),
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
  const maxBytes = opts.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  // cheap upper bound first: a UTF-16 unit is at most 3 UTF-8 bytes
  if (text.length > maxBytes && Buffer.byteLength(text) > maxBytes)
    throw tooLarge(file, Buffer.byteLength(text), maxBytes);
  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  } catch (err) {
    throw new ManifestError(file, [
      { path: "", message: `YAML: ${yamlMessage(err instanceof Error ? err.message : String(err))}` },
    ]);
  }
  if (doc.errors.length > 0) {
    throw new ManifestError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          path: "",
          message: `YAML: ${yamlMessage(e.message.split("\n")[0] ?? e.message)}`,
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
    const message = err instanceof Error ? err.message : String(err);
    throw new ManifestError(file, [
      {
        path: "",
        message:
          yamlMessage(message) === message
            ? `YAML: ${message}; write the values out instead of using anchors and aliases`
            : `YAML: ${yamlMessage(message)}`,
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

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Line (1-based) of the first byte where `bytes` stops being valid UTF-8. */
function firstBadUtf8Line(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  for (let nl = bytes.indexOf(0x0a); ; nl = bytes.indexOf(0x0a, start)) {
    const end = nl === -1 ? bytes.length : nl;
    try {
      UTF8.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    if (nl === -1) return line;
    start = nl + 1;
    line++;
  }
}

export async function loadManifest(file: string, opts: LoadManifestOptions = {}): Promise<Manifest> {
  const maxBytes = opts.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  let bytes: Buffer;
  try {
    // size and kind before reading: a FIFO would block, a huge file would be read whole
    const st = await stat(file);
    if (!st.isFile())
      throw new ManifestError(file, [
        { path: "", message: "the manifest is not a regular file; pass the path of a .yaml file" },
      ]);
    if (st.size > maxBytes) throw tooLarge(file, st.size, maxBytes);
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof ManifestError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new ManifestError(file, [
      { path: "", message: `cannot read the manifest (${code}); check the path` },
    ]);
  }
  if (bytes.length > maxBytes) throw tooLarge(file, bytes.length, maxBytes);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new ManifestError(file, [
      {
        path: "",
        line: firstBadUtf8Line(bytes),
        column: 1,
        message: "the manifest is not valid UTF-8 text; save it as UTF-8",
      },
    ]);
  }
  return parseManifest(text, file, path.dirname(path.resolve(file)), opts);
}
