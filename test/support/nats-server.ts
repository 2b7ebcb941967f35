// The one NATS harness for tests: NATS_URL when given; testcontainers (pinned 2.9 image) when a container
// engine answers; otherwise a native nats-server child on a random port with a temp store. Logs the path.
import { launchNatsServer, type LaunchedNats } from "../../services/nats/launch-nats-server.js";

export interface TestNats {
  url: string;
  mode: "external" | "container" | "native";
  /** Native only: the store dir (kept across restart()). */
  storeDir?: string;
  /** Native only: stop and start again on the same port and store (reconnect tests). */
  restart?: () => Promise<void>;
  /** Native only: SIGSTOP the server for `ms`, then SIGCONT (a stalled or starved server). */
  pause?: (ms: number) => Promise<void>;
  stop(): Promise<void>;
}

/** Pinned to the server version CI runs (Debian's 2.9.10); 2.10+ accepts features 2.9 ignores. */
const NATS_IMAGE = process.env.NATS_IMAGE ?? "nats:2.9.25-alpine";

function log(line: string): void {
  process.stderr.write(`[nats harness] ${line}\n`);
}

async function tryContainer(): Promise<TestNats | undefined> {
  if (process.env.NATS_TEST_MODE === "native") return undefined;
  try {
    // lazy: importing testcontainers costs ~1 s and it is useless without an engine
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    const { NatsContainer } = await import("@testcontainers/nats");
    const container = await new NatsContainer(NATS_IMAGE).withJetStream().start();
    const url = `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
    log(`container ${NATS_IMAGE} ${url}`);
    return {
      url,
      mode: "container",
      async stop() {
        await container.stop();
      },
    };
  } catch (err) {
    if (process.env.NATS_TEST_MODE === "container") throw err;
    if (process.env.NATS_TEST_DEBUG)
      log(`no container engine: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

export async function startTestNats(opts: { native?: boolean } = {}): Promise<TestNats> {
  const external = process.env.NATS_URL;
  if (external && !opts.native) {
    log(`external ${external}`);
    return { url: external, mode: "external", stop: () => Promise.resolve() };
  }
  if (!opts.native) {
    const container = await tryContainer();
    if (container) return container;
  }
  let server: LaunchedNats = await launchNatsServer();
  const { storeDir, port } = server;
  log(`native ${server.url} (store ${storeDir})`);
  let stopped = false;
  return {
    url: server.url,
    mode: "native",
    storeDir,
    async restart() {
      await server.kill();
      server = await launchNatsServer({ storeDir, port });
      log(`native restarted ${server.url}`);
    },
    async pause(ms: number) {
      process.kill(server.pid, "SIGSTOP");
      try {
        await new Promise((r) => setTimeout(r, ms));
      } finally {
        process.kill(server.pid, "SIGCONT");
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      const { rm } = await import("node:fs/promises");
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
