// Probes a llama.cpp build directory once: which tools exist, their version, and the flag spellings each
// accepts. Nothing here fails on a host without llama.cpp; absence is an answer.
import { access, constants } from "node:fs/promises";
import path from "node:path";
import { runProcess } from "../process/run-process.js";
import { parseLlamaHelp } from "./parse-llama-help.js";
import { parseLlamaVersion, type LlamaVersion } from "./parse-llama-version.js";
import { LLAMA_TOOLS, type LlamaTool } from "../../core/llama-tools.js";
import { toolCapabilities, type ToolCapabilities } from "./tool-capabilities.js";

export interface LlamaToolProbe {
  tool: LlamaTool;
  path: string;
  version?: LlamaVersion;
  /** Every flag the tool accepts, and those its help lists as removed. */
  acceptedFlags: string[];
  removedFlags: string[];
  capabilities: ToolCapabilities;
  /** Why --help could not be read, when it could not. */
  problem?: string;
}

export interface LlamaBuildProbe {
  binDir: string | null;
  /** Version of the build (from the first tool that reports one). */
  version?: LlamaVersion;
  tools: Partial<Record<LlamaTool, LlamaToolProbe>>;
  missing: LlamaTool[];
  /** Human-readable notes: no directory configured, a tool that would not start, ... */
  notes: string[];
}

export interface ProbeLlamaBuildOptions {
  /** Per-invocation limit for --help and --version. @default 15000 */
  timeoutMs?: number;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function probeTool(tool: LlamaTool, file: string, timeoutMs: number): Promise<LlamaToolProbe> {
  const [help, ver] = await Promise.all([
    runProcess([file, "--help"], { timeoutMs }),
    // llama-bench has no --version (rc 1, usage on stdout); its build shows in its JSON output instead.
    tool === "llama-bench" ? undefined : runProcess([file, "--version"], { timeoutMs }),
  ]);
  const parsed = parseLlamaHelp(help.stdout + "\n" + help.stderr);
  const version = ver ? parseLlamaVersion(ver.stderr + "\n" + ver.stdout) : undefined;
  const probe: LlamaToolProbe = {
    tool,
    path: file,
    acceptedFlags: parsed.accepted,
    removedFlags: parsed.removed,
    capabilities: toolCapabilities(tool, parsed),
    ...(version ? { version } : {}),
  };
  if (help.spawnError || help.timedOut || parsed.accepted.length === 0) {
    probe.problem = help.spawnError
      ? `could not run ${file} --help: ${help.spawnError}`
      : help.timedOut
        ? `${file} --help did not finish in ${timeoutMs} ms`
        : `${file} --help printed no flags (exit ${help.exitCode ?? help.signal})`;
  }
  return probe;
}

export async function probeLlamaBuild(
  binDir: string | undefined,
  opts: ProbeLlamaBuildOptions = {},
): Promise<LlamaBuildProbe> {
  if (binDir === undefined) {
    return {
      binDir: null,
      tools: {},
      missing: [...LLAMA_TOOLS],
      notes: [
        "no llama.cpp build directory configured (pass --llama-bin DIR, set SPECGRID_LLAMA_BIN, or run 'specgrid llama build')",
      ],
    };
  }
  const dir = path.resolve(binDir);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const present = await Promise.all(
    LLAMA_TOOLS.map(async (tool) => ((await isExecutable(path.join(dir, tool))) ? tool : undefined)),
  );
  const found = present.filter((t): t is LlamaTool => t !== undefined);
  const probes = await Promise.all(found.map((tool) => probeTool(tool, path.join(dir, tool), timeoutMs)));
  const tools: Partial<Record<LlamaTool, LlamaToolProbe>> = {};
  for (const p of probes) tools[p.tool] = p;
  const notes = probes.flatMap((p) => (p.problem ? [p.problem] : []));
  if (found.length === 0) notes.push(`no llama.cpp tools found in ${dir}`);
  const version = probes.find((p) => p.version)?.version;
  return {
    binDir: dir,
    ...(version ? { version } : {}),
    tools,
    missing: LLAMA_TOOLS.filter((t) => !found.includes(t)),
    notes,
  };
}
