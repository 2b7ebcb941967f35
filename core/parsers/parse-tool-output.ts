// One entry point from a tool name to its parser, for `specgrid parse` and for engines that hold a
// tool name rather than a parser. Formats the caller did not state are recognised from the text.

import type { LlamaTool } from "../llama-tools.js";
import { detectErrors } from "./detect-errors.js";
import { parseBatchedBench } from "./parse-batched-bench.js";
import { parseBench, type BenchFormat } from "./parse-bench.js";
import { parseCompletion } from "./parse-completion.js";
import { parseParallel } from "./parse-parallel.js";
import type { DetectedError, ParseResult } from "./parse-result.js";
import { parseServerCompletion } from "./parse-server-completion.js";
import { parseServerLog } from "./parse-server-log.js";
import { parseServerMetrics } from "./parse-server-metrics.js";
import { parseServerProps } from "./parse-server-props.js";
import { parseServerSlots } from "./parse-server-slots.js";
import { parseSpeculative } from "./parse-speculative.js";

export const SERVER_RESPONSE_KINDS = ["completion", "props", "slots", "metrics"] as const;
export type ServerResponseKind = (typeof SERVER_RESPONSE_KINDS)[number];

export interface ToolOutput {
  stdout?: string;
  stderr?: string;
  /** llama-bench: `-o json` or `-o jsonl`; recognised from the text when absent. */
  benchFormat?: BenchFormat;
  /** llama-batched-bench: rows the run asked for, to notice a lost row. */
  expectedRows?: number;
  /** llama-server: which endpoint the response (given as stdout) came from; recognised when absent. */
  serverKind?: ServerResponseKind;
}

export interface ToolParseResult extends ParseResult<object> {
  tool: LlamaTool;
  /** llama-server only: the endpoint the response was read as. */
  serverKind?: ServerResponseKind;
}

/** Parse captured output of one llama.cpp tool. */
export function parseToolOutput(tool: LlamaTool, output: ToolOutput): ToolParseResult {
  const stdout = output.stdout ?? "";
  const stderr = output.stderr ?? "";
  switch (tool) {
    case "llama-speculative":
    case "llama-speculative-simple":
      return { tool, ...parseSpeculative(stdout, stderr) };
    case "llama-completion":
      return { tool, ...parseCompletion(stdout, stderr) };
    case "llama-parallel":
      return { tool, ...parseParallel(stdout, stderr) };
    case "llama-bench":
      return { tool, ...parseBench(stdout, output.benchFormat ?? detectBenchFormat(stdout), stderr) };
    case "llama-batched-bench":
      return { tool, ...parseBatchedBench(stdout, { stderr, expectedRows: output.expectedRows }) };
    case "llama-server":
      return parseServer(stdout, stderr, output.serverKind);
  }
}

/** `-o json` output opens with `[`; jsonl is one object per line. */
export function detectBenchFormat(stdout: string): BenchFormat {
  return stdout.trimStart().startsWith("[") ? "json" : "jsonl";
}

/** Recognise which llama-server endpoint a response body came from. */
export function detectServerKind(body: string): ServerResponseKind {
  const text = body.trimStart();
  if (text.startsWith("[")) return "slots";
  if (/^(# (HELP|TYPE) )?llamacpp:/m.test(text)) return "metrics";
  if (text.includes('"default_generation_settings"') && !text.includes('"timings"')) return "props";
  return "completion";
}

function parseServer(body: string, log: string, given: ServerResponseKind | undefined): ToolParseResult {
  const logErrors = detectErrors(log);
  if (body.trim() === "") return { tool: "llama-server", ...parseServerLog(log) };
  const serverKind = given ?? detectServerKind(body);
  const result: ParseResult<object> =
    serverKind === "slots"
      ? parseServerSlots(body)
      : serverKind === "metrics"
        ? parseServerMetrics(body)
        : serverKind === "props"
          ? parseServerProps(body)
          : parseServerCompletion(body);
  return { tool: "llama-server", serverKind, ...result, errors: mergeErrors(result.errors, logErrors) };
}

function mergeErrors(first: DetectedError[], second: DetectedError[]): DetectedError[] {
  const kinds = new Set(first.map((e) => e.kind));
  return [...first, ...second.filter((e) => !kinds.has(e.kind))];
}
