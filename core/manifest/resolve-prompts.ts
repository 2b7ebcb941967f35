// Turns the manifest's prompt list (strings and { file } entries) into prompt texts. Prompt files are read
// relative to the manifest and may not reach outside its folder unless the caller allows it: a manifest is
// often submitted to a shared coordinator, and it must not become a way to read arbitrary files.
import fs from "node:fs";
import path from "node:path";
import {
  isPromptCategory,
  PROMPT_CATEGORIES,
  PROMPT_SUITE_NAMES,
  suitePrompts,
  type PromptCategory,
} from "../prompts/prompt-suites.js";
import type { RawIssue } from "./check-manifest.js";
import type { ManifestPrompt } from "./manifest.js";
import { nearestKey } from "./nearest-key.js";

export interface ResolvePromptsOptions {
  allowOutsidePrompts: boolean;
  maxPromptBytes: number;
}

/** Largest prompt file read, bytes (the prompts in it are still held to maxPromptBytes each). */
const MAX_PROMPT_FILE_BYTES = 64 * 1024 * 1024;

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const MAX_BAD_LINES_SHOWN = 5;

/** Lines of a file as bytes, split at LF (a CR before it stays, and is dropped after decoding). */
function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(0x0a); nl !== -1; nl = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, nl));
    start = nl + 1;
  }
  lines.push(bytes.subarray(start));
  return lines;
}

// C0 controls except tab and LF (a multi-line inline prompt; file prompts are split at LF), DEL and the C1
// controls: never part of a prompt a person wrote, and a NUL is cut or mangled by llama.cpp's C strings.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/u;

/** The first control character of a prompt, as column (1-based, in characters) and name. */
export function controlCharacterIn(text: string): { column: number; name: string } | undefined {
  const m = CONTROL.exec(text);
  if (m === null) return undefined;
  const code = m[0].codePointAt(0)!;
  const names: Record<number, string> = { 0: "NUL", 0x0a: "LF", 0x0d: "CR", 0x1b: "ESC", 0x7f: "DEL" };
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return {
    column: [...text.slice(0, m.index)].length + 1,
    name: names[code] ? `${hex} (${names[code]})` : hex,
  };
}

function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function readPromptFile(
  file: string,
  index: number,
  baseDir: string,
  opts: ResolvePromptsOptions,
  issues: RawIssue[],
): ManifestPrompt[] {
  const at = ["prompts", index, "file"];
  const resolved = path.resolve(baseDir, file);
  if (!opts.allowOutsidePrompts && !isInside(realOrSelf(baseDir), realOrSelf(resolved))) {
    issues.push({
      path: at,
      message: `prompt file ${file} is outside the manifest's folder; move it next to the manifest (or pass --allow-outside-prompts)`,
    });
    return [];
  }
  let bytes: Buffer;
  try {
    // a FIFO or device would block or never end the read; a huge file would be read whole
    const stat = fs.statSync(resolved);
    if (!stat.isFile()) {
      issues.push({ path: at, message: `prompt file ${file} is not a regular file` });
      return [];
    }
    if (stat.size > MAX_PROMPT_FILE_BYTES) {
      issues.push({
        path: at,
        message: `prompt file ${file} is ${stat.size} bytes, above ${MAX_PROMPT_FILE_BYTES}; split it into several files`,
      });
      return [];
    }
    bytes = fs.readFileSync(resolved);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    issues.push({ path: at, message: `cannot read prompt file ${file} (${code}; looked at ${resolved})` });
    return [];
  }
  const prompts: ManifestPrompt[] = [];
  const bad: string[] = [];
  splitLines(bytes).forEach((rawBytes, i) => {
    let rawLine: string;
    try {
      rawLine = UTF8.decode(rawBytes);
    } catch {
      bad.push(`line ${i + 1} is not valid UTF-8`);
      return;
    }
    const line = rawLine.replace(/\r$/, "");
    const control = controlCharacterIn(i === 0 ? line.replace(/^\uFEFF/, "") : line);
    if (control !== undefined) {
      bad.push(`line ${i + 1} column ${control.column} holds the control character ${control.name}`);
      return;
    }
    if (line.trim() === "") return;
    if (Buffer.byteLength(line) > opts.maxPromptBytes) {
      issues.push({
        path: at,
        message: `${file} line ${i + 1} is longer than ${opts.maxPromptBytes} bytes; shorten it (or raise the limit with --max-prompt-bytes on validate, plan, run and sweep submit, and on coordinator start)`,
      });
      return;
    }
    prompts.push({ text: i === 0 ? line.replace(/^\uFEFF/, "") : line, source: file, line: i + 1 });
  });
  if (bad.length > 0) {
    const shown = bad.slice(0, MAX_BAD_LINES_SHOWN).join("; ");
    const more =
      bad.length > MAX_BAD_LINES_SHOWN ? `; and ${bad.length - MAX_BAD_LINES_SHOWN} more lines` : "";
    issues.push({
      path: at,
      message: `prompt file ${file} is not plain UTF-8 text: ${shown}${more}. Prompts are one per line, UTF-8, without control characters (tabs are fine): save the file as UTF-8 text and remove them`,
    });
    return [];
  }
  if (prompts.length === 0)
    issues.push({ path: at, message: `prompt file ${file} has no prompts (one per line)` });
  return prompts;
}

/** An inline prompt (a string, or `{ text, category }`), or nothing with an issue when it cannot be used. */
function inlinePrompt(
  text: string,
  category: string | undefined,
  index: number,
  opts: ResolvePromptsOptions,
  issues: RawIssue[],
): ManifestPrompt[] {
  if (Buffer.byteLength(text) > opts.maxPromptBytes) {
    issues.push({
      path: ["prompts", index],
      message: `prompt is longer than ${opts.maxPromptBytes} bytes; shorten it (or raise the limit with --max-prompt-bytes on validate, plan, run and sweep submit, and on coordinator start)`,
    });
    return [];
  }
  const control = controlCharacterIn(text.replace(/\r\n/g, "\n"));
  if (control !== undefined) {
    issues.push({
      path: ["prompts", index],
      message: `prompt holds the control character ${control.name} at column ${control.column}; prompts are text without control characters (tabs are fine): remove it`,
    });
    return [];
  }
  return [{ text, source: "inline", ...(category === undefined ? {} : { category }) }];
}

/** `prompts: { suite, categories }`: the suite's prompts (core/prompts), or issues naming what is unknown. */
function resolveSuite(raw: Record<string, unknown>, issues: RawIssue[]): ManifestPrompt[] {
  const suite = raw.suite;
  if (typeof suite !== "string") return []; // the schema reports it
  const listed = Array.isArray(raw.categories) ? raw.categories : undefined;
  const categories: PromptCategory[] = [];
  listed?.forEach((name: unknown, i) => {
    if (typeof name !== "string") return;
    if (isPromptCategory(name)) categories.push(name);
    else {
      const guess = nearestKey(name, [...PROMPT_CATEGORIES]);
      issues.push({
        path: ["prompts", "categories", i],
        message: `unknown category "${name}" (the suites have ${PROMPT_CATEGORIES.join(", ")})${guess === undefined ? "" : `; did you mean "${guess}"?`}`,
      });
    }
  });
  const found = suitePrompts(suite, listed === undefined ? undefined : categories);
  if (found === undefined) {
    const guess = nearestKey(suite, PROMPT_SUITE_NAMES);
    issues.push({
      path: ["prompts", "suite"],
      message: `unknown prompt suite "${suite}" (specgrid ships ${PROMPT_SUITE_NAMES.join(", ")})${guess === undefined ? "" : `; did you mean "${guess}"?`}`,
    });
    return [];
  }
  return found.map((p) => ({ text: p.text, source: `suite:${suite}`, category: p.category }));
}

export function resolvePrompts(
  raw: unknown,
  baseDir: string,
  opts: ResolvePromptsOptions,
): { prompts: ManifestPrompt[]; issues: RawIssue[] } {
  const issues: RawIssue[] = [];
  const prompts: ManifestPrompt[] = [];
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw) && "suite" in raw)
    return { prompts: resolveSuite(raw, issues), issues };
  if (!Array.isArray(raw)) return { prompts, issues };
  const seen = new Map<string, string>();
  raw.forEach((entry: unknown, index) => {
    let found: ManifestPrompt[] = [];
    if (typeof entry === "string" && entry.trim() !== "") {
      found = inlinePrompt(entry, undefined, index, opts, issues);
    } else if (
      typeof entry === "object" &&
      entry !== null &&
      typeof (entry as { text?: unknown }).text === "string" &&
      typeof (entry as { category?: unknown }).category === "string" &&
      (entry as { text: string }).text.trim() !== ""
    ) {
      const { text, category } = entry as { text: string; category: string };
      found = inlinePrompt(text, category, index, opts, issues);
    } else if (
      typeof entry === "object" &&
      entry !== null &&
      typeof (entry as { file?: unknown }).file === "string"
    ) {
      found = readPromptFile((entry as { file: string }).file, index, baseDir, opts, issues);
    }
    for (const p of found) {
      const where = p.line === undefined ? `prompts[${index}]` : `${p.source} line ${p.line}`;
      const first = seen.get(p.text);
      if (first !== undefined) {
        issues.push({
          path: ["prompts", index],
          message: `${where} repeats the prompt of ${first}; list each prompt once`,
        });
        continue;
      }
      seen.set(p.text, where);
      prompts.push(p);
    }
  });
  return { prompts, issues };
}
