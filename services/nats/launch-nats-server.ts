// Starts a local nats-server child with JetStream for the embedded mode (`specgrid run`, `specgrid demo`)
// and the tests' native path. The binary comes from SPECGRID_NATS_SERVER or PATH.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfigError } from "../../core/errors.js";

export interface LaunchNatsOptions {
  /** JetStream store dir; a temp dir (removed on stop) when omitted. */
  storeDir?: string;
  /** Address to listen on (tests bind the host side of their network-namespace links). @default "127.0.0.1" */
  host?: string;
  /** Port to listen on; a free one is picked when omitted. Pass the old port to restart on the same address. */
  port?: number;
  /** nats-server binary; @default process.env.SPECGRID_NATS_SERVER ?? "nats-server" from PATH */
  binary?: string;
  /** How long to wait for the ports file. @default 10000 */
  startTimeoutMs?: number;
}

export interface LaunchedNats {
  url: string;
  port: number;
  storeDir: string;
  pid: number;
  /** SIGTERM the server (its process group) and wait for it to exit; removes a temp store dir. */
  stop(): Promise<void>;
  /** SIGKILL, keeping the store: for crash tests. */
  kill(): Promise<void>;
}

const INSTALL_HINT =
  "nats-server was not found. Install it (Debian/Ubuntu: `apt-get install -y nats-server`; " +
  "or download a release from https://github.com/nats-io/nats-server/releases) and put it on PATH, " +
  "or set SPECGRID_NATS_SERVER=/path/to/nats-server, or pass --nats URL to use a running server.";

function findBinary(binary: string): string | undefined {
  if (binary.includes("/")) return existsSync(binary) ? binary : undefined;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function launchNatsServer(opts: LaunchNatsOptions = {}): Promise<LaunchedNats> {
  const requested = opts.binary ?? process.env.SPECGRID_NATS_SERVER ?? "nats-server";
  const binary = findBinary(requested);
  if (binary === undefined) throw new ConfigError(INSTALL_HINT, { binary: requested });

  const tempStore = opts.storeDir === undefined;
  const storeDir = opts.storeDir ?? (await mkdtemp(path.join(os.tmpdir(), "specgrid-nats-")));
  await mkdir(storeDir, { recursive: true });
  const portsDir = await mkdtemp(path.join(os.tmpdir(), "specgrid-nats-ports-"));
  const argv = [
    "-a",
    opts.host ?? "127.0.0.1",
    "-p",
    String(opts.port ?? -1),
    "-js",
    "-sd",
    storeDir,
    "--ports_file_dir",
    portsDir,
  ];
  // detached: its own process group, so stop() can signal the group and nothing outlives us
  const child = spawn(binary, argv, { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const pid = child.pid;
  if (pid === undefined) throw new ConfigError(`could not start ${binary}`, { binary });

  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  // last resort if this process exits without stop(): never leave a server behind
  const onExit = (): void => signalGroup("SIGKILL");
  process.once("exit", onExit);
  child.once("exit", () => process.off("exit", onExit));
  const portsFile = path.join(portsDir, `nats-server_${pid}.ports`);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  let url: string | undefined;
  while (url === undefined) {
    if (child.exitCode !== null) {
      await rm(portsDir, { recursive: true, force: true });
      throw new ConfigError(`nats-server exited at start (code ${child.exitCode}): ${stderr.trim()}`, {
        argv,
      });
    }
    if (Date.now() > deadline) {
      signalGroup("SIGKILL");
      await rm(portsDir, { recursive: true, force: true });
      throw new ConfigError(`nats-server did not report its port within the start timeout: ${stderr.trim()}`);
    }
    try {
      const ports = JSON.parse(await readFile(portsFile, "utf8")) as { nats?: string[] };
      url = ports.nats?.[0];
    } catch {
      await sleep(20);
    }
  }
  const port = Number(new URL(url).port);
  const cleanup = async (): Promise<void> => {
    await rm(portsDir, { recursive: true, force: true });
  };
  return {
    url,
    port,
    storeDir,
    pid,
    async stop() {
      signalGroup("SIGTERM");
      const exited = waitExit(child);
      const timer = setTimeout(() => signalGroup("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      await cleanup();
      if (tempStore) await rm(storeDir, { recursive: true, force: true });
    },
    async kill() {
      signalGroup("SIGKILL");
      await waitExit(child);
      await cleanup();
    },
  };
}
