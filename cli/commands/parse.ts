import { SpecgridCommand } from "../workflows/specgrid-command.js";
import { readFile, stat } from "node:fs/promises";
import { Args, Flags } from "@oclif/core";
import {
  LLAMA_TOOLS,
  SERVER_RESPONSE_KINDS,
  parseToolOutput,
  type DetectedError,
  type LlamaTool,
  type ServerResponseKind,
} from "../../core/parsers/index.js";

/** The --json output: the parsed metrics with snake_case keys, plus what could not be trusted. */
export interface ParseCommandResult {
  tool: LlamaTool;
  /** llama-server: the endpoint the response was read as. */
  endpoint?: ServerResponseKind;
  truncated: boolean;
  missing: string[];
  errors: DetectedError[];
  [metric: string]: unknown;
}

export default class Parse extends SpecgridCommand {
  static override description =
    "Turn the output of a llama.cpp run made by hand into specgrid metrics. Reads the captured stderr " +
    "(where llama.cpp prints its statistics) and stdout, strips log prefixes and colours, and reports the " +
    "figures it found, the ones it could not find, whether the output was cut off at exit, and any " +
    "out-of-memory, vocabulary, flag or model-load error. For llama-server, give a response body with --response.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> llama-speculative-simple --stderr run.stderr --json",
    "llama-speculative -m t.gguf -md d.gguf -p hi 2>run.err; <%= config.bin %> <%= command.id %> llama-speculative --stderr run.err",
    "<%= config.bin %> <%= command.id %> llama-bench --stdout bench.jsonl --format jsonl --json",
    "<%= config.bin %> <%= command.id %> llama-batched-bench --stdout bb.txt --expected-rows 6",
    'curl -s localhost:8080/completion -d \'{"prompt":"hi","n_predict":32}\' >c.json; <%= config.bin %> <%= command.id %> llama-server --response c.json --json',
    "<%= config.bin %> <%= command.id %> llama-server --response slots.json --endpoint slots --stderr server.log",
  ];

  static override enableJsonFlag = true;

  static override args = {
    tool: Args.string({
      description: "the llama.cpp program that produced the output",
      required: true,
      options: [...LLAMA_TOOLS],
    }),
  };

  static override flags = {
    stderr: Flags.string({ description: "file holding the run's stderr (statistics, errors, server log)" }),
    stdout: Flags.string({
      description: "file holding the run's stdout (llama-bench, llama-batched-bench, llama-cli)",
    }),
    response: Flags.string({
      description:
        "llama-server: file holding a response body (/completion JSON or SSE, /props, /slots, /metrics)",
    }),
    endpoint: Flags.string({
      description: "llama-server: which endpoint --response came from (default: recognised from the body)",
      options: [...SERVER_RESPONSE_KINDS],
    }),
    format: Flags.string({
      description: "llama-bench: the -o format of --stdout (default: recognised from the text)",
      options: ["json", "jsonl"],
    }),
    "expected-rows": Flags.integer({
      description:
        "llama-batched-bench: rows the run asked for (|npp| x |ntg| x |npl|); fewer = output cut off",
      min: 1,
    }),
  };

  async run(): Promise<ParseCommandResult> {
    const { args, flags } = await this.parse(Parse);
    const tool = args.tool as LlamaTool;
    if (flags.response !== undefined && tool !== "llama-server") {
      this.error(`--response is for llama-server; for ${tool} give --stderr and/or --stdout`, { exit: 2 });
    }
    if (flags.stdout === undefined && flags.stderr === undefined && flags.response === undefined) {
      this.error(
        tool === "llama-server"
          ? "nothing to parse: give --response FILE (a response body) and/or --stderr FILE (the server log)"
          : `nothing to parse: give --stderr FILE (llama.cpp prints its statistics there) and/or --stdout FILE`,
        { exit: 2 },
      );
    }
    if (flags.response !== undefined && flags.stdout !== undefined) {
      this.error("give the llama-server response once: --response FILE (not --stdout as well)", { exit: 2 });
    }

    const body =
      flags.response === undefined ? undefined : await this.readInput(flags.response, "--response");
    // an empty body is the server's failure (a dropped connection, a crash mid-request), not a clean run
    if (body !== undefined && body.trim() === "")
      this.error(
        `--response ${flags.response} is empty: llama-server sent no body (the connection dropped or the server ` +
          "died mid-request); its log (--stderr) says why. Nothing to parse",
        { exit: 1 },
      );
    const parsed = parseToolOutput(tool, {
      stdout: body ?? (await this.readInput(flags.stdout, "--stdout")),
      stderr: await this.readInput(flags.stderr, "--stderr"),
      benchFormat: flags.format as "json" | "jsonl" | undefined,
      expectedRows: flags["expected-rows"],
      serverKind: flags.endpoint as ServerResponseKind | undefined,
    });

    const result: ParseCommandResult = {
      tool,
      ...(parsed.serverKind === undefined ? {} : { endpoint: parsed.serverKind }),
      ...(toSnakeCaseKeys(parsed.metrics) as Record<string, unknown>),
      truncated: parsed.truncated,
      missing: parsed.missing.map(toSnakeCase),
      errors: parsed.errors,
    };
    // Not one figure and no failure recognised: the file is not this tool's output. Exit 1 (a script must
    // not take an empty parse for a run).
    if (!hasFigure(parsed.metrics) && parsed.errors.length === 0) {
      const files = [
        flags.stderr === undefined ? undefined : `--stderr ${flags.stderr}`,
        flags.response === undefined ? undefined : `--response ${flags.response}`,
        flags.stdout === undefined ? undefined : `--stdout ${flags.stdout}`,
      ].filter((f) => f !== undefined);
      this.error(
        `no ${tool} figures in ${files.join(" or ")}: nothing in it parses as ${tool} output ` +
          `(missing: ${result.missing.join(", ") || "everything"}). Check that the file is what ${tool} printed ` +
          "(its statistics go to stderr: capture them with 2>run.err).",
        { exit: 1 },
      );
    }
    if (!this.jsonEnabled()) this.log(render(result));
    return result;
  }

  private async readInput(path: string | undefined, flag: string): Promise<string | undefined> {
    if (path === undefined) return undefined;
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      this.error(
        `${flag} ${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        {
          exit: 2,
        },
      );
    }
    // size and kind before reading: a FIFO would block, and parsing costs memory in proportion to the text
    if (!st.isFile())
      this.error(`${flag} ${path}: not a regular file; save the output to a file first`, { exit: 2 });
    if (st.size > MAX_INPUT_BYTES) {
      this.error(
        `${flag} ${path} is ${st.size} bytes, above the ${MAX_INPUT_BYTES / 1024 / 1024} MiB parse reads. ` +
          "One llama.cpp run prints far less: cut the file to the run you want (its figures come at the end, " +
          `e.g. tail -c 4M ${path} > last-run.txt).`,
        { exit: 2 },
      );
    }
    try {
      return await readFile(path, "utf8");
    } catch (err) {
      this.error(
        `${flag} ${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        {
          exit: 2,
        },
      );
    }
  }
}

/** Largest file `parse` reads: a run's output is kilobytes; a whole day's server log is not one run. */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;

/** Whether a parser found at least one figure (a number anywhere in its metrics). */
function hasFigure(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.some(hasFigure);
  if (typeof value === "object" && value !== null) return Object.values(value).some(hasFigure);
  return false;
}

function toSnakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

function toSnakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toSnakeCaseKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [toSnakeCase(k), toSnakeCaseKeys(v)]));
}

const RESERVED = new Set(["tool", "endpoint", "truncated", "missing", "errors"]);

function render(result: ParseCommandResult): string {
  const lines = [`${result.tool}${result.endpoint ? ` (${result.endpoint})` : ""}`];
  for (const [key, value] of Object.entries(result)) {
    if (RESERVED.has(key) || key === "raw" || key === "samples") continue;
    if (Array.isArray(value)) {
      lines.push(`  ${key}: ${value.length}`);
      for (const item of value) lines.push(`    ${inline(item)}`);
    } else lines.push(`  ${key.padEnd(18)} ${inline(value)}`);
  }
  lines.push(
    result.truncated
      ? "  truncated          yes: the tool's closing lines are missing; re-run, do not use these figures"
      : "  truncated          no",
  );
  if (result.missing.length > 0) lines.push(`  missing            ${result.missing.join(", ")}`);
  for (const error of result.errors) lines.push(`  error [${error.kind}] ${error.message}`);
  return lines.join("\n");
}

function inline(value: unknown): string {
  if (typeof value !== "object" || value === null) return String(value);
  if (Array.isArray(value)) return value.map(inline).join(", ");
  return Object.entries(value)
    .filter(([k]) => k !== "raw")
    .map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(" ");
}
