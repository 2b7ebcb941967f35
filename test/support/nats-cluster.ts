// Three nats-server processes on 127.0.0.1 forming one JetStream cluster, for failover tests. Each node's
// config is the shipped infra/nats/cluster-node<i>.conf moved onto loopback: its own config file, store dir,
// and free client, cluster and monitoring ports in a temp dir; a node can be
// SIGKILLed and started again on the same ports and store. The binary comes from SPECGRID_NATS_SERVER or PATH.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { TestNats } from "./nats-server.js";

export interface ClusterNode {
  name: string;
  clientPort: number;
  clusterPort: number;
  httpPort: number;
  url: string;
  storeDir: string;
  configFile: string;
  child?: ChildProcess;
  stderr: string;
}

export interface TestNatsCluster extends TestNats {
  nodes: ClusterNode[];
  /** SIGKILL one node (its process group); its store stays for restartNode. */
  killNode(name: string): Promise<void>;
  /** Start a killed node again on the same ports and store. */
  restartNode(name: string): Promise<void>;
  /** Names of the client connections open on a node, from its monitoring endpoint. */
  connectionNames(name: string): Promise<string[]>;
  /** Each running node's own view of a stream (messages, last sequence, leader), from its monitoring port. */
  streamStates(stream: string): Promise<string[]>;
  /** Resolves once the cluster has a JetStream meta leader and every running node answers. */
  waitReady(timeoutMs?: number): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The shipped infra/nats/cluster-node<i>.conf moved onto loopback: its server name, JetStream block, cluster
 * name and route list are kept (so the test proves those files form a cluster); hosts, ports and the store
 * move to this test's, and the shared-token block goes (the runtime's NATS logins are tested elsewhere).
 */
async function nodeConfig(index: number, node: ClusterNode, clusterPorts: number[]): Promise<string> {
  const file = path.join(repoRoot, "infra/nats", `cluster-node${index}.conf`);
  let text = await readFile(file, "utf8");
  const swap = (pattern: RegExp, replacement: (m: string, ...groups: string[]) => string): void => {
    if (!pattern.test(text))
      throw new Error(`${file} no longer matches ${pattern.source}; update the harness`);
    text = text.replace(pattern, replacement);
  };
  swap(/^listen: \S+$/m, () => `listen: 127.0.0.1:${node.clientPort}`);
  swap(/^http: \S+$/m, () => `http: 127.0.0.1:${node.httpPort}`);
  swap(/store_dir: \S+/, () => `store_dir: "${node.storeDir}"`);
  swap(/(cluster \{[^}]*?)listen: \S+/, (_m, head) => `${head}listen: 127.0.0.1:${node.clusterPort}`);
  swap(/nats-route:\/\/nats-(\d+):\d+/g, (_m, k) => {
    const port = clusterPorts[Number(k) - 1];
    if (port === undefined)
      throw new Error(`${file} routes to nats-${k}, beyond this ${clusterPorts.length}-node test`);
    return `nats-route://127.0.0.1:${port}`;
  });
  swap(/^authorization \{[^}]*\}\s*$/m, () => "");
  return text;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function killGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Starts the shipped 3-node cluster (infra/nats/cluster-node{1,2,3}.conf) on loopback. */
export async function startTestNatsCluster(size = 3): Promise<TestNatsCluster> {
  const binary = process.env.SPECGRID_NATS_SERVER ?? "nats-server";
  const dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-nats-cluster-"));
  const nodes: ClusterNode[] = [];
  for (let i = 1; i <= size; i++) {
    const [clientPort, clusterPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    const storeDir = path.join(dir, `n${i}`, "store");
    await mkdir(storeDir, { recursive: true });
    nodes.push({
      name: `n${i}`,
      clientPort,
      clusterPort,
      httpPort,
      url: `nats://127.0.0.1:${clientPort}`,
      storeDir,
      configFile: path.join(dir, `n${i}`, "nats.conf"),
      stderr: "",
    });
  }
  const clusterPorts = nodes.map((n) => n.clusterPort);
  for (const [i, n] of nodes.entries())
    await writeFile(n.configFile, await nodeConfig(i + 1, n, clusterPorts));

  const byName = (name: string): ClusterNode => {
    const n = nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  };
  // never leave servers behind if the test process dies without stop()
  const onExit = (): void => nodes.forEach((n) => killGroup(n.child, "SIGKILL"));
  process.once("exit", onExit);

  const launch = (n: ClusterNode): void => {
    n.stderr = "";
    const child = spawn(binary, ["-c", n.configFile], {
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (d: Buffer) => (n.stderr = (n.stderr + d.toString()).slice(-4000)));
    n.child = child;
  };

  const running = (): ClusterNode[] =>
    nodes.filter((n) => n.child !== undefined && n.child.exitCode === null && n.child.signalCode === null);

  const waitReady = async (timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let why = "";
    for (const n of running()) {
      for (;;) {
        if (Date.now() > deadline)
          throw new Error(`NATS cluster not ready after ${timeoutMs} ms (${n.name}: ${why})\n${n.stderr}`);
        try {
          // JetStream answers account info only once a meta leader is elected
          const nc = await connect({ servers: n.url, reconnect: false, timeout: 1_000 });
          try {
            await (await jetstreamManager(nc, { timeout: 2_000 })).getAccountInfo();
          } finally {
            await nc.close();
          }
          break;
        } catch (err) {
          why = err instanceof Error ? err.message : String(err);
          await sleep(200);
        }
      }
    }
  };

  nodes.forEach(launch);
  const cluster: TestNatsCluster = {
    url: nodes.map((n) => n.url).join(","),
    mode: "native",
    nodes,
    waitReady,
    async killNode(name) {
      const n = byName(name);
      const child = n.child;
      if (!child) return;
      killGroup(child, "SIGKILL");
      await exited(child);
      n.child = undefined;
    },
    restartNode(name) {
      const n = byName(name);
      if (!n.child) launch(n);
      return Promise.resolve();
    },
    async connectionNames(name) {
      const res = await fetch(`http://127.0.0.1:${byName(name).httpPort}/connz?limit=1024`);
      const body = (await res.json()) as { connections?: { name?: string }[] };
      return (body.connections ?? []).map((c) => c.name ?? "");
    },
    async streamStates(stream) {
      const out: string[] = [];
      for (const n of running()) {
        try {
          const res = await fetch(`http://127.0.0.1:${n.httpPort}/jsz?accounts=true&streams=true`);
          const body = (await res.json()) as {
            account_details?: {
              stream_detail?: {
                name: string;
                cluster?: { leader?: string };
                state?: { messages?: number; last_seq?: number };
              }[];
            }[];
          };
          const s = body.account_details
            ?.flatMap((a) => a.stream_detail ?? [])
            .find((x) => x.name === stream);
          out.push(
            s === undefined
              ? `${n.name}: no ${stream}`
              : `${n.name}: messages ${s.state?.messages ?? "?"}, last seq ${s.state?.last_seq ?? "?"}, leader ${s.cluster?.leader ?? "?"}`,
          );
        } catch (err) {
          out.push(`${n.name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return out;
    },
    async stop() {
      process.off("exit", onExit);
      for (const n of nodes) {
        const child = n.child;
        if (!child) continue;
        killGroup(child, "SIGTERM");
        const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5_000);
        await exited(child);
        clearTimeout(timer);
        n.child = undefined;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitReady();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
