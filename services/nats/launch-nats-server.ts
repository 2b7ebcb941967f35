// Starts a local nats-server child with JetStream for the embedded mode (`specgrid run`, `specgrid demo`)
// and the tests' native path. The binary comes from SPECGRID_NATS_SERVER or PATH.
// The server dies with this process however it ends: a watchdog process holds a pipe from us and, when the
// pipe closes (we exited, were SIGKILLed, or a second Ctrl-C killed us before any exit hook ran), stops the
// server's process group and removes a temp store. With `auth`, the server requires a generated token,
// written into a 0600 config file (never on its command line, where `ps` shows it).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Writable } from "node:stream";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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
  /** Require a generated token from every client (see LaunchedNats.token). @default false */
  auth?: boolean;
}

export interface LaunchedNats {
  /** Server URL without credentials (safe to log). */
  url: string;
  /** The token clients must present, when launched with `auth`. */
  token?: string;
  /** `url` with the token in it (`nats://TOKEN@host:port`) for natsLogin; `url` without auth. Never log it. */
  clientUrl: string;
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
  // mkdtemp makes the folder 0700: the config with the token inside is readable by this user only
  const portsDir = await mkdtemp(path.join(os.tmpdir(), "specgrid-nats-ports-"));
  const token = opts.auth ? randomBytes(24).toString("hex") : undefined;
  const configArgs: string[] = [];
  if (token !== undefined) {
    const configFile = path.join(portsDir, "auth.conf");
    await writeFile(configFile, `authorization {\n  token: "${token}"\n}\n`, { mode: 0o600 });
    configArgs.push("-c", configFile);
  }
  const argv = [
    ...configArgs,
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
  // and when it dies without running exit hooks (SIGKILL, a second SIGINT): the watchdog
  const watchdog = startWatchdog(pid, tempStore ? [portsDir, storeDir] : [portsDir]);
  const portsFile = path.join(portsDir, `nats-server_${pid}.ports`);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  let url: string | undefined;
  while (url === undefined) {
    if (child.exitCode !== null) {
      await rm(portsDir, { recursive: true, force: true });
      watchdog.end();
      throw new ConfigError(`nats-server exited at start (code ${child.exitCode}): ${stderr.trim()}`, {
        argv,
      });
    }
    if (Date.now() > deadline) {
      signalGroup("SIGKILL");
      watchdog.end();
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
    watchdog.end();
    await rm(portsDir, { recursive: true, force: true });
  };
  const clientUrl = token === undefined ? url : url.replace("://", `://${token}@`);
  return {
    url,
    ...(token === undefined ? {} : { token }),
    clientUrl,
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
      watchdog.write("keep-store\n");
      signalGroup("SIGKILL");
      await waitExit(child);
      await cleanup();
    },
  };
}

// Runs in its own process (node -e): argv[1] is the server's process group, the rest are folders to remove.
// It ignores terminal signals (its own group, SIGINT/SIGTERM/SIGHUP ignored) and acts only when its stdin,
// the pipe from the launching process, closes.
const WATCHDOG_SOURCE = `
const group = Number(process.argv[1]);
let dirs = process.argv.slice(2);
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(s, () => {});
const alive = () => { try { process.kill(-group, 0); return true; } catch { return false; } };
const send = (sig) => { try { process.kill(-group, sig); } catch {} };
// "keep-store": the launcher killed the server on purpose and will start it again on the same store
process.stdin.on("data", (d) => { if (String(d).includes("keep-store")) dirs = dirs.slice(0, 1); });
process.stdin.on("close", () => {
  send("SIGTERM");
  const started = Date.now();
  const timer = setInterval(() => {
    if (alive() && Date.now() - started > 5000) send("SIGKILL");
    if (alive()) return;
    clearInterval(timer);
    for (const d of dirs) { try { require("node:fs").rmSync(d, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  }, 50);
});
`;

/** Starts the watchdog of a server process group; ending the returned pipe releases it (after stop()). */
function startWatchdog(group: number, dirs: string[]): Writable {
  const dog = spawn(process.execPath, ["-e", WATCHDOG_SOURCE, String(group), ...dirs], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  dog.unref();
  const pipe = dog.stdin;
  // the pipe must not keep this process alive; it closes with us
  (pipe as Writable & { unref?: () => void }).unref?.();
  pipe.on("error", () => undefined);
  return pipe;
}
