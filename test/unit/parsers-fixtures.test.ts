// Every parser over every relevant llama.cpp capture in test/fixtures/llama-cpp, compared with the
// expected JSON beside it. The expected figures were read from the captures by
// make-fixtures.py with REFERENCE.md's regexes, independently of the parsers under test.

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import {
  parseBatchedBench,
  parseBench,
  parseCompletion,
  parseParallel,
  parseServerCompletion,
  parseServerLog,
  parseServerMetrics,
  parseServerProps,
  parseServerSlots,
  parseSpeculative,
  parseToolOutput,
  type BenchFormat,
  type LlamaTool,
  type ParseResult,
} from "../../core/parsers/index.js";

const ROOT = join(import.meta.dirname, "..", "fixtures", "llama-cpp");

interface Expected {
  tool: string;
  metrics: Record<string, unknown>;
  missing: string[];
  truncated: boolean;
  errorKinds: string[];
  options?: { format?: BenchFormat; expectedRows?: number };
}

function listExpected(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? listExpected(join(dir, entry.name))
      : entry.name.endsWith(".expected.json")
        ? [join(dir, entry.name)]
        : [],
  );
}

function sibling(expectedPath: string, ext: string): string {
  const path = expectedPath.replace(/\.expected\.json$/, `.${ext}`);
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

function run(expectedPath: string, exp: Expected): ParseResult<object> {
  const stdout = sibling(expectedPath, "stdout");
  const stderr = sibling(expectedPath, "stderr");
  switch (exp.tool) {
    case "llama-speculative":
    case "llama-speculative-simple":
      return parseSpeculative(stdout, stderr);
    case "llama-completion":
      return parseCompletion(stdout, stderr);
    case "llama-parallel":
      return parseParallel(stdout, stderr);
    case "llama-bench":
      return parseBench(stdout, exp.options?.format ?? "json", stderr);
    case "llama-batched-bench":
      return parseBatchedBench(stdout, { stderr, expectedRows: exp.options?.expectedRows });
    case "server-completion":
      return parseServerCompletion(sibling(expectedPath, "json") || sibling(expectedPath, "sse"));
    case "server-props":
      return parseServerProps(sibling(expectedPath, "json"));
    case "server-slots":
      return parseServerSlots(sibling(expectedPath, "json"));
    case "server-metrics":
      return parseServerMetrics(sibling(expectedPath, "txt"));
    case "server-log":
      return parseServerLog(stderr);
    default:
      throw new Error(`${expectedPath}: unknown tool ${exp.tool}`);
  }
}

const cases = listExpected(ROOT)
  .sort()
  .map((path) => ({ name: relative(ROOT, path).replace(/\.expected\.json$/, ""), path }));

describe("llama.cpp parsers over recorded captures", () => {
  it("has fixtures for every tool", () => {
    const tools = new Set(cases.map((c) => (JSON.parse(readFileSync(c.path, "utf8")) as Expected).tool));
    expect([...tools].sort()).toEqual(
      [
        "llama-batched-bench",
        "llama-bench",
        "llama-completion",
        "llama-parallel",
        "llama-speculative",
        "llama-speculative-simple",
        "server-completion",
        "server-log",
        "server-metrics",
        "server-props",
        "server-slots",
      ].sort(),
    );
  });

  it.each(cases)("$name", ({ path }) => {
    const exp = JSON.parse(readFileSync(path, "utf8")) as Expected;
    const result = run(path, exp);
    expect(result.metrics).toMatchObject(exp.metrics);
    expect(result.truncated).toBe(exp.truncated);
    expect(result.missing).toEqual(exp.missing);
    expect(result.errors.map((e) => e.kind)).toEqual(exp.errorKinds);
    for (const error of result.errors) {
      expect(error.message.length).toBeGreaterThan(0);
      expect(error.excerpt.length).toBeGreaterThan(0);
    }
  });

  // `specgrid parse` goes through parseToolOutput, recognising formats the user did not state:
  // on every capture it must give what the parser gives when told.
  it.each(cases)("parseToolOutput agrees on $name", ({ path }) => {
    const exp = JSON.parse(readFileSync(path, "utf8")) as Expected;
    const direct = run(path, exp);
    const body =
      sibling(path, "json") || sibling(path, "sse") || sibling(path, "txt") || sibling(path, "stdout");
    const tool: LlamaTool = exp.tool.startsWith("server-") ? "llama-server" : (exp.tool as LlamaTool);
    const viaTool = parseToolOutput(tool, {
      stdout: exp.tool === "server-log" ? undefined : body,
      stderr: sibling(path, "stderr"),
      expectedRows: exp.options?.expectedRows,
    });
    expect({ ...viaTool, tool: undefined, serverKind: undefined }).toEqual({
      ...direct,
      tool: undefined,
      serverKind: undefined,
    });
  });
});
