// Failures llama.cpp reports only as text. Engines decide from the kind whether a cell is retried
// (a crash may pass next time) or failed for good (out of memory, incompatible vocabularies, a flag
// this build does not accept): see REFERENCE.md §1.6, §3, §4, §8.6 and §13.

import { cleanLog } from "./clean-log.js";
import type { DetectedError, DetectedErrorKind } from "./parse-result.js";

interface ErrorRule {
  kind: DetectedErrorKind;
  pattern: RegExp;
  describe: (match: RegExpExecArray) => string;
}

// Checked in order against each line; the first rule that matches a line wins, so an allocation
// failure that surfaces as "error loading model: unable to allocate CUDA0 buffer" reads as memory.
const RULES: ErrorRule[] = [
  {
    kind: "out-of-memory",
    pattern:
      /out of memory|OutOfDeviceMemory|std::bad_alloc|failed to allocate \S+ buffer of size|unable to allocate \S+ buffer|failed to allocate compute (?:pp )?buffers/i,
    describe: () => "out of memory: the models or context do not fit; lower -c, -ngl or the batch size",
  },
  {
    kind: "vocab-mismatch",
    pattern:
      /draft model vocab (?:type )?must (?:closely )?match target model|target and draft vocabs are not compatible|vocab size \d+ does not match draft vocab size/,
    describe: () =>
      "the draft model's vocabulary does not match the target's; pick a draft from the same family",
  },
  {
    kind: "removed-flag",
    pattern: /error while handling argument "([^"]+)": the argument has been removed\.?\s*(.*)$/,
    describe: (m) => `flag ${m[1]} was removed from this llama.cpp build${m[2] ? `: ${m[2]}` : ""}`,
  },
  {
    kind: "removed-flag",
    pattern: /^error: (?:invalid argument|unknown argument|invalid parameter for argument): (\S+)/,
    describe: (m) => `flag ${m[1]} is not accepted by this llama.cpp tool or build`,
  },
  {
    kind: "model-load",
    pattern:
      /error loading model|failed to load model|failed to open GGUF file|gguf_init_from_file\S*: failed|unknown model architecture/,
    describe: () => "a model failed to load: check the path and that the file is a complete GGUF",
  },
  {
    kind: "other",
    pattern: /GGML_ASSERT\((.*)\) failed/,
    describe: (m) => `llama.cpp aborted on an assertion: ${m[1]}`,
  },
  {
    kind: "other",
    pattern: /terminate called after throwing an instance of '([^']+)'/,
    describe: (m) => `llama.cpp aborted with an uncaught ${m[1]}`,
  },
  {
    kind: "other",
    pattern: /failed to initialize speculative decoding/,
    describe: () =>
      "speculative decoding did not start: with a draft model, llama-speculative-simple and llama-server need --spec-type draft-simple",
  },
  {
    kind: "other",
    pattern: /--model-draft is required/,
    describe: () => "a draft model is required: pass -md / --spec-draft-model",
  },
  {
    kind: "other",
    pattern: /^error: (.*)$|^error while handling argument "([^"]+)": (.*)$/,
    describe: (m) => `llama.cpp rejected its arguments: ${m[1] ?? `${m[2]}: ${m[3]}`}`,
  },
];

// A failed allocation that llama.cpp retries another way is not fatal (seen with pipeline parallelism).
const RECOVERED = /retrying without pipeline parallelism/;
const EXCERPT_LINES = 3;

/**
 * Find out-of-memory, vocabulary mismatch, removed/unknown flag, model load and other fatal failures
 * in a tool's stderr. One error per kind, in order of first appearance.
 */
export function detectErrors(stderr: string): DetectedError[] {
  const lines = cleanLog(stderr).split("\n");
  const found = new Map<DetectedErrorKind, DetectedError>();
  lines.forEach((line, index) => {
    const text = line.trim();
    if (text === "") return;
    for (const rule of RULES) {
      const match = rule.pattern.exec(text);
      if (!match) continue;
      if (rule.kind === "out-of-memory" && isRecovered(lines, index)) break;
      if (!found.has(rule.kind)) {
        found.set(rule.kind, {
          kind: rule.kind,
          message: rule.describe(match),
          excerpt: excerptAt(lines, index),
        });
      }
      break;
    }
  });
  return [...found.values()];
}

function isRecovered(lines: string[], index: number): boolean {
  return lines.slice(index + 1, index + 6).some((l) => RECOVERED.test(l));
}

function excerptAt(lines: string[], index: number): string {
  return lines
    .slice(index, index + EXCERPT_LINES)
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .join("\n");
}
