// Turns the manifest's prompt list (strings and { file } entries) into prompt texts. Prompt files are read
// relative to the manifest and may not reach outside its folder unless the caller allows it: a manifest is
// often submitted to a shared coordinator, and it must not become a way to read arbitrary files.
import fs from "node:fs";
import path from "node:path";
import type { RawIssue } from "./check-manifest.js";
import type { ManifestPrompt } from "./manifest.js";

export interface ResolvePromptsOptions {
  allowOutsidePrompts: boolean;
  maxPromptBytes: number;
}

/** Largest prompt file read, bytes (the prompts in it are still held to maxPromptBytes each). */
const MAX_PROMPT_FILE_BYTES = 64 * 1024 * 1024;

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
  let text: string;
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
    text = fs.readFileSync(resolved, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    issues.push({ path: at, message: `cannot read prompt file ${file} (${code}; looked at ${resolved})` });
    return [];
  }
  const prompts: ManifestPrompt[] = [];
  text.split("\n").forEach((rawLine, i) => {
    const line = rawLine.replace(/\r$/, "");
    if (line.trim() === "") return;
    if (Buffer.byteLength(line) > opts.maxPromptBytes) {
      issues.push({
        path: at,
        message: `${file} line ${i + 1} is longer than ${opts.maxPromptBytes} bytes; shorten it (or raise the limit with --max-prompt-bytes on validate, plan, run and sweep submit, and on coordinator start)`,
      });
      return;
    }
    prompts.push({ text: line, source: file, line: i + 1 });
  });
  if (prompts.length === 0)
    issues.push({ path: at, message: `prompt file ${file} has no prompts (one per line)` });
  return prompts;
}

export function resolvePrompts(
  raw: unknown,
  baseDir: string,
  opts: ResolvePromptsOptions,
): { prompts: ManifestPrompt[]; issues: RawIssue[] } {
  const issues: RawIssue[] = [];
  const prompts: ManifestPrompt[] = [];
  if (!Array.isArray(raw)) return { prompts, issues };
  const seen = new Map<string, string>();
  raw.forEach((entry: unknown, index) => {
    let found: ManifestPrompt[] = [];
    if (typeof entry === "string" && entry.trim() !== "") {
      if (Buffer.byteLength(entry) > opts.maxPromptBytes) {
        issues.push({
          path: ["prompts", index],
          message: `prompt is longer than ${opts.maxPromptBytes} bytes; shorten it (or raise the limit with --max-prompt-bytes on validate, plan, run and sweep submit, and on coordinator start)`,
        });
      } else {
        found = [{ text: entry, source: "inline" }];
      }
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
