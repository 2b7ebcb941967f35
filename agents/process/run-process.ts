// Run a program to completion with a deadline and a cancel signal, keeping its output. The caller decides
// what the output means; this only reports how the process ended.
import { startProcess, type StartProcessOptions } from "./start-process.js";

export interface RunProcessOptions extends Omit<StartProcessOptions, "onStdout" | "onStderr"> {
  /** Wall-clock limit; on expiry the whole process group is killed. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Cap on captured stdout and stderr, each; the rest is dropped and `outputCapped` set. @default 64 MiB */
  maxOutputBytes?: number;
}

export interface ProcessResult {
  argv: readonly string[];
  pid: number | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Last lines of stderr, for failure reports. */
  stderrTail: string;
  timedOut: boolean;
  cancelled: boolean;
  outputCapped: boolean;
  wallMs: number;
  /** The program could not be started (missing binary, not executable). */
  spawnError?: string;
}

export async function runProcess(argv: readonly string[], opts: RunProcessOptions): Promise<ProcessResult> {
  const maxBytes = opts.maxOutputBytes ?? 64 * 1024 * 1024;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  let errBytes = 0;
  let outputCapped = false;
  const started = performance.now();

  const proc = startProcess(argv, {
    ...opts,
    onStdout: (c) => {
      if (outBytes + c.length > maxBytes) outputCapped = true;
      else {
        out.push(c);
        outBytes += c.length;
      }
    },
    onStderr: (c) => {
      if (errBytes + c.length > maxBytes) outputCapped = true;
      else {
        err.push(c);
        errBytes += c.length;
      }
    },
  });

  let timedOut = false;
  let cancelled = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void proc.stopGroup();
  }, opts.timeoutMs);
  const onAbort = (): void => {
    cancelled = true;
    void proc.stopGroup();
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener("abort", onAbort, { once: true });

  const exit = await proc.exited;
  clearTimeout(timer);
  opts.signal?.removeEventListener("abort", onAbort);
  // A killed leader can leave grandchildren behind; they go with it.
  if (timedOut || cancelled) await proc.stopGroup();

  return {
    argv,
    pid: proc.pid,
    exitCode: exit.exitCode,
    signal: exit.signal,
    stdout: Buffer.concat(out).toString("utf8"),
    stderr: Buffer.concat(err).toString("utf8"),
    stderrTail: proc.stderrTail.lastLines(40),
    timedOut,
    cancelled,
    outputCapped,
    wallMs: performance.now() - started,
    ...(exit.spawnError
      ? { spawnError: `${exit.spawnError.code ?? "error"}: ${exit.spawnError.message}` }
      : {}),
  };
}
