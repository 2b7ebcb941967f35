// One child process in its own process group. llama.cpp tools and the server are started with argv arrays
// (never a shell), detached so that a timeout or a cancel can take down the whole group: a hung tool may
// have children of its own, and a leftover server would keep holding GPU memory.
import { spawn, type ChildProcess } from "node:child_process";
import { TailBuffer } from "./tail-buffer.js";

export interface StartProcessOptions {
  cwd?: string;
  /** Full environment of the child. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Called with every stdout / stderr chunk (e.g. to watch for a readiness line). */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Bytes of stderr kept for failure reports. @default 16384 */
  stderrTailBytes?: number;
  /** Time between SIGTERM and SIGKILL when stopping the group. @default 2000 */
  killGraceMs?: number;
}

export interface ProcessExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError?: NodeJS.ErrnoException;
}

export interface ManagedProcess {
  readonly argv: readonly string[];
  readonly pid: number | undefined;
  /** Resolves once the process has exited and its pipes are closed. Never rejects. */
  readonly exited: Promise<ProcessExit>;
  readonly stderrTail: TailBuffer;
  /** Whether the process is still running. */
  running(): boolean;
  /** SIGTERM the whole group, SIGKILL after the grace period; resolves when the leader is gone. */
  stopGroup(): Promise<ProcessExit>;
}

export function startProcess(argv: readonly string[], opts: StartProcessOptions = {}): ManagedProcess {
  const [file, ...args] = argv;
  if (file === undefined) throw new TypeError("startProcess: argv is empty");
  const stderrTail = new TailBuffer(opts.stderrTailBytes ?? 16_384);
  const graceMs = opts.killGraceMs ?? 2000;
  let done = false;

  const child: ChildProcess = spawn(file, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c: Buffer) => opts.onStdout?.(c));
  child.stderr?.on("data", (c: Buffer) => {
    stderrTail.push(c);
    opts.onStderr?.(c);
  });

  const exited = new Promise<ProcessExit>((resolve) => {
    child.once("error", (err: NodeJS.ErrnoException) => {
      // 'error' without a pid means the program never started; 'close' will not follow.
      if (child.pid === undefined) {
        done = true;
        resolve({ exitCode: null, signal: null, spawnError: err });
      }
    });
    child.once("close", (exitCode, signal) => {
      done = true;
      resolve({ exitCode, signal });
    });
  });

  const signalGroup = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // ESRCH: the group is already gone.
    }
  };

  const stopGroup = async (): Promise<ProcessExit> => {
    signalGroup("SIGTERM");
    const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
    const exit = await exited;
    clearTimeout(timer);
    // Members that ignored SIGTERM or were orphaned by the leader's exit must not outlive the run.
    signalGroup("SIGKILL");
    return exit;
  };

  return {
    argv,
    pid: child.pid,
    exited,
    stderrTail,
    running: () => !done,
    stopGroup,
  };
}

/** Whether any process of the group led by `pid` is still alive. */
export function processGroupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
