// The CLI as a user runs it: a child process (bin/dev.js, from source), with a deadline so a command that
// hangs fails its test instead of stalling the run. Returns the exit status, output and wall time.
import { spawn } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

export interface CliRun {
  /** Exit status; null when the deadline killed it. */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  timedOut: boolean;
}

export interface RunCliOptions {
  cwd?: string;
  /** @default 60_000 */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
}

/** Runs `specgrid <args>` in a child process and waits for it (or its deadline). */
export function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliRun> {
  const start = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, "bin/dev.js"), ...args], {
    cwd: opts.cwd ?? ROOT,
    // not "development" or "test": oclif would fall back to dist/ (see bin/dev.js); wide columns: one
    // error, one line
    env: { ...process.env, NODE_ENV: "specgrid-dev", OCLIF_COLUMNS: "1000", ...opts.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.end(opts.input ?? "");
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, opts.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, wallMs: performance.now() - start, timedOut });
    });
  });
}
