// Baseline (target only) runs: llama-completion prints common_perf_print on stderr (REFERENCE.md
// §5.1); llama-cli prints one `[ Prompt: … t/s | Generation: … t/s ]` line on stdout (§5.3);
// llama-simple prints `main: decoded …` and llama_perf_context_print on stderr (§5.2). The tool is
// recognised from what it printed.

import { cleanLog } from "./clean-log.js";
import { detectErrors } from "./detect-errors.js";
import { dropUndefined } from "./drop-undefined.js";
import { listMissing } from "./list-missing.js";
import { parsePerfPrint, type PerfStats } from "./parse-perf-print.js";
import type { ParseResult } from "./parse-result.js";
import { readNumber, secondsToMs } from "./read-number.js";

export type CompletionTool = "llama-completion" | "llama-cli" | "llama-simple";

export interface CompletionMetrics {
  /** Which baseline tool the output came from; undefined when nothing recognisable was printed. */
  tool?: CompletionTool;
  /** Prompt tokens evaluated (`prompt eval time … / N tokens`). */
  nPrompt?: number;
  promptMs?: number;
  promptTps?: number;
  /**
   * Generated tokens. llama-completion: eval runs + 1, because the first token comes from the prompt
   * batch (REFERENCE.md §5.1); llama-simple: its `decoded N tokens` line.
   */
  nDecoded?: number;
  /** `eval time`: decode time, ms. */
  decodeMs?: number;
  /** `eval … tokens per second` as printed (over eval runs); llama-cli: `Generation: N t/s`. */
  decodeTps?: number;
  /** `eval time … / N runs`: single-token decode calls. */
  evalRuns?: number;
  loadMs?: number;
  totalMs?: number;
  perf?: PerfStats;
}

const NUM = String.raw`(-?nan|-?inf|-?\d+(?:\.\d+)?)`;
const CLI_TIMINGS = new RegExp(String.raw`\[ Prompt: ${NUM} t/s \| Generation: ${NUM} t/s \]`);
const SIMPLE_DECODED = new RegExp(
  String.raw`^main: decoded (\d+) tokens in\s+${NUM} s, speed:\s+${NUM} t/s$`,
);
const TERMINAL = /^(?:common_perf_print|llama_perf_context_print):\s+graphs reused =/;
const REQUIRED: Record<CompletionTool, readonly Extract<keyof CompletionMetrics, string>[]> = {
  "llama-completion": ["nPrompt", "promptMs", "promptTps", "nDecoded", "decodeMs", "decodeTps", "loadMs"],
  "llama-simple": ["nPrompt", "promptMs", "promptTps", "nDecoded", "decodeMs", "decodeTps", "loadMs"],
  "llama-cli": ["promptTps", "decodeTps"],
};

/** Parse a baseline run of llama-completion, llama-cli or llama-simple. */
export function parseCompletion(stdout: string, stderr: string): ParseResult<CompletionMetrics> {
  const errLines = cleanLog(stderr)
    .split("\n")
    .map((l) => l.trimEnd());
  const errors = detectErrors(stderr);

  // llama-cli's timings line is on stdout; a llama-completion stdout never holds it
  const cli = CLI_TIMINGS.exec(cleanLog(stdout));
  if (cli) {
    const metrics: CompletionMetrics = dropUndefined({
      tool: "llama-cli" as const,
      promptTps: readNumber(cli[1]),
      decodeTps: readNumber(cli[2]),
    });
    return { metrics, truncated: false, missing: listMissing(metrics, REQUIRED["llama-cli"]), errors };
  }

  const simpleDecoded = errLines.map((l) => SIMPLE_DECODED.exec(l)).find((m) => m !== null);
  // builds before common_perf_print existed print the same block with libllama's own prefix
  const perf =
    parsePerfPrint(errLines, "common_perf_print") ?? parsePerfPrint(errLines, "llama_perf_context_print");
  if (perf && !simpleDecoded) return fromPerf("llama-completion", perf, undefined, errLines, errors);

  if (simpleDecoded) return fromPerf("llama-simple", perf ?? {}, simpleDecoded, errLines, errors);

  return {
    metrics: {},
    truncated: errors.length === 0,
    missing: [...REQUIRED["llama-completion"]],
    errors,
  };
}

function fromPerf(
  tool: "llama-completion" | "llama-simple",
  perf: PerfStats,
  simpleDecoded: RegExpExecArray | undefined,
  lines: readonly string[],
  errors: ParseResult<CompletionMetrics>["errors"],
): ParseResult<CompletionMetrics> {
  const decodedSeconds = readNumber(simpleDecoded?.[2]);
  const metrics: CompletionMetrics = dropUndefined({
    tool,
    nPrompt: perf.promptEvalTokens,
    promptMs: perf.promptEvalMs,
    promptTps: perf.promptEvalTps,
    nDecoded:
      tool === "llama-simple"
        ? readNumber(simpleDecoded?.[1])
        : perf.evalRuns === undefined
          ? undefined
          : perf.evalRuns + 1,
    decodeMs:
      tool === "llama-simple" && decodedSeconds !== undefined ? secondsToMs(decodedSeconds) : perf.evalMs,
    decodeTps: tool === "llama-simple" ? readNumber(simpleDecoded?.[3]) : perf.evalTps,
    evalRuns: perf.evalRuns,
    loadMs: perf.loadMs,
    totalMs: perf.totalMs,
    perf,
  });
  const terminal = lines.some((l) => TERMINAL.test(l));
  return {
    metrics,
    truncated: !terminal && errors.length === 0,
    missing: listMissing(metrics, REQUIRED[tool]),
    errors,
  };
}
