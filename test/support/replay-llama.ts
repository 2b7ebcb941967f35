// Fake llama.cpp binaries that are real processes. `installReplayLlama` writes, into a temp directory,
// one executable per tool name (llama-speculative, llama-server, ...) plus a scenario file; each executable
// runs `replayLlamaMain` (through test/support/bin/fake-llama.ts), which reads its argv like the real tool:
// --help / --version print captured text, anything else plays the scenario's next step for that tool with
// realistic pacing, or crashes, hangs, truncates its output, prints an out-of-memory error. Every
// invocation is appended to invocations.jsonl so tests can assert argv, run counts and leftover pids.
import { spawn } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startReplayLlamaServer, type ReplayServerScenario } from "./replay-llama-server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPLAY_FIXTURES = path.resolve(here, "../fixtures/llama-replay");

export type ReplayBehavior = "normal" | "truncate" | "crash" | "hang" | "oom";

export interface ReplayStep {
  behavior?: ReplayBehavior;
  /** Capture files printed to stdout / stderr (absolute, or relative to the replay fixtures). */
  stdout?: string;
  stderr?: string;
  /** @default 0 (oom: 1) */
  exitCode?: number;
  /** Output is spread over this long, line by line. @default 40 */
  paceMs?: number;
  /** truncate: final stderr lines lost at exit. @default 3 */
  dropLines?: number;
}

export interface ReplayTool {
  /** Capture of `--help` (the `### ...` framing of the reference captures is dropped). */
  help?: string;
  /** Capture of `--version` (printed to stderr, rc 0). */
  version?: string;
  /** Steps for successive runs; the last one repeats. */
  runs?: ReplayStep[];
  /** llama-server only. */
  server?: ReplayServerScenario;
}

export interface ReplayScenario {
  tools: Record<string, ReplayTool>;
}

export interface Invocation {
  tool: string;
  argv: string[];
  pid: number;
  /** `help`, `version`, or the 0-based run index. */
  kind: "help" | "version" | "run";
  run?: number;
  /** Grandchild started by a hanging run (to check the process group is gone). */
  childPid?: number;
}

export interface ReplayInstall {
  binDir: string;
  scenarioFile: string;
  invocations(): Promise<Invocation[]>;
}

const fixture = (f: string): string => (path.isAbsolute(f) ? f : path.join(REPLAY_FIXTURES, f));

/** Help and version captures for a tool of the reference build (current flag spellings). */
export function currentBuild(tool: string): Pick<ReplayTool, "help" | "version"> {
  return { help: `${tool}-help.txt`, version: `${tool}-version.stderr` };
}

/** Help and version shaped like a build from before the 2026-04-28 flag rename (hand-written fixture). */
export function oldBuild(): Pick<ReplayTool, "help" | "version"> {
  return { help: "old-build/common-help.txt", version: "old-build/version.stderr" };
}

export async function installReplayLlama(binDir: string, scenario: ReplayScenario): Promise<ReplayInstall> {
  const scenarioFile = path.join(binDir, "scenario.json");
  await writeFile(scenarioFile, JSON.stringify(scenario, null, 1));
  const entry = path.join(here, "bin", "fake-llama.ts");
  const loader = import.meta.resolve("tsx");
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  for (const tool of Object.keys(scenario.tools)) {
    const file = path.join(binDir, tool);
    const script = `#!/bin/sh\nexec ${q(process.execPath)} --import ${q(loader)} ${q(entry)} ${q(scenarioFile)} ${q(tool)} "$@"\n`;
    await writeFile(file, script);
    await chmod(file, 0o755);
  }
  return {
    binDir,
    scenarioFile,
    invocations: async () => {
      const text = await readFile(path.join(binDir, "invocations.jsonl"), "utf8").catch(() => "");
      return text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Invocation);
    },
  };
}

// ---- the fake program ----

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function stripFraming(text: string): string {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("### rc=")) break;
    if (line.startsWith("### ")) continue;
    out.push(line);
  }
  return out.join("\n");
}

async function writePaced(stream: NodeJS.WriteStream, lines: string[], paceMs: number): Promise<void> {
  const per = lines.length > 0 ? paceMs / lines.length : 0;
  for (const line of lines) {
    stream.write(line + "\n");
    if (per >= 1) await sleep(per);
  }
}

const readLines = (f: string | undefined): string[] =>
  f === undefined ? [] : readFileSync(fixture(f), "utf8").replace(/\n$/, "").split("\n");

function argValue(argv: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < argv.length - 1; i++) if (names.includes(argv[i]!)) return argv[i + 1];
  return undefined;
}

/** Entry point of a fake binary: `fake-llama.ts <scenario.json> <tool> ...argv`. */
export async function replayLlamaMain(args: string[]): Promise<number> {
  const [scenarioFile, tool, ...argv] = args;
  if (scenarioFile === undefined || tool === undefined) return 2;
  const scenario = JSON.parse(readFileSync(scenarioFile, "utf8")) as ReplayScenario;
  const spec = scenario.tools[tool] ?? {};
  const logFile = path.join(path.dirname(scenarioFile), "invocations.jsonl");
  const record = (inv: Omit<Invocation, "tool" | "argv" | "pid">): void =>
    appendFileSync(logFile, JSON.stringify({ tool, argv, pid: process.pid, ...inv }) + "\n");

  if (argv.includes("--help") || argv.includes("-h")) {
    record({ kind: "help" });
    process.stdout.write(spec.help ? stripFraming(readFileSync(fixture(spec.help), "utf8")) : "");
    return 0;
  }
  if (argv.includes("--version")) {
    record({ kind: "version" });
    if (!spec.version) return 1;
    process.stderr.write(readFileSync(fixture(spec.version), "utf8"));
    return 0;
  }

  const previous = readFileSync(logFile, { flag: "a+" })
    .toString("utf8")
    .split("\n")
    .filter((l) => l.includes(`"tool":${JSON.stringify(tool)}`) && l.includes(`"kind":"run"`)).length;
  const runs = spec.runs ?? [{}];
  const step = runs[Math.min(previous, runs.length - 1)] ?? {};
  const behavior = step.behavior ?? "normal";

  if (tool === "llama-server") {
    record({ kind: "run", run: previous });
    // Builds whose --spec-type lacks draft-simple (before 2026-05-11) speculated with the draft alone.
    const helpText = spec.help ? readFileSync(fixture(spec.help), "utf8") : "";
    return serve(argv, spec.server ?? {}, !helpText.includes("draft-simple"));
  }

  const paceMs = step.paceMs ?? 40;
  const stdout = readLines(step.stdout);
  const stderr = readLines(step.stderr);
  switch (behavior) {
    case "hang": {
      const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e9)"], { stdio: "ignore" });
      record({ kind: "run", run: previous, ...(child.pid ? { childPid: child.pid } : {}) });
      await writePaced(process.stderr, stderr.slice(0, 3), paceMs);
      await new Promise(() => undefined);
      return 0;
    }
    case "crash":
      record({ kind: "run", run: previous });
      await writePaced(process.stderr, stderr.slice(0, Math.ceil(stderr.length / 2)), paceMs);
      process.stderr.write(
        "/llama.cpp/src/llama-context.cpp:2189: GGML_ASSERT(n_outputs_max <= cparams.n_outputs_max) failed\n",
      );
      process.kill(process.pid, "SIGABRT");
      await sleep(1000);
      return 134;
    case "truncate":
      record({ kind: "run", run: previous });
      await writePaced(process.stdout, stdout, 0);
      await writePaced(
        process.stderr,
        stderr.slice(0, Math.max(0, stderr.length - (step.dropLines ?? 3))),
        paceMs,
      );
      return 0;
    case "oom":
      record({ kind: "run", run: previous });
      await writePaced(process.stderr, readLines(step.stderr ?? "oom-cuda.stderr"), paceMs);
      return step.exitCode ?? 1;
    default:
      record({ kind: "run", run: previous });
      await writePaced(process.stdout, stdout, 0);
      await writePaced(process.stderr, stderr, paceMs);
      return step.exitCode ?? 0;
  }
}

async function serve(argv: string[], scenario: ReplayServerScenario, draftAlone: boolean): Promise<number> {
  const log = (line: string): void => void process.stderr.write(line + "\n");
  if (scenario.exitDuringLoad !== undefined) {
    log("0.00.010.000 I srv  llama_server: loading model");
    log("0.00.020.000 E srv    load_model: failed to load model");
    return scenario.exitDuringLoad;
  }
  const draft = argValue(argv, "--spec-draft-model", "-md", "--model-draft") !== undefined;
  const specType = argValue(argv, "--spec-type") ?? "";
  const server = await startReplayLlamaServer({
    host: argValue(argv, "--host") ?? "127.0.0.1",
    port: Number(argValue(argv, "--port") ?? "8080"),
    draft,
    specTypeDraftSimple: draftAlone || specType.split(",").includes("draft-simple"),
    slots: Math.max(1, Number(argValue(argv, "-np", "--parallel") ?? "1")),
    // builds from before draft-simple honoured per-request speculative fields (REFERENCE §8.5)
    honoursPerRequest: draftAlone && scenario.ignorePerRequestSpeculative !== true,
    scenario,
    log,
  });
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await server.close();
  return 0;
}

/** Replace the scenario of an installed replay (the fake tools re-read it per run) and clear its log. */
export async function setReplayScenario(install: ReplayInstall, scenario: ReplayScenario): Promise<void> {
  await writeFile(install.scenarioFile, JSON.stringify(scenario, null, 1));
  await writeFile(path.join(install.binDir, "invocations.jsonl"), "");
}
