// infra/nats/permissions.conf on a real nats-server: an agent user can do everything the agent daemon does
// (pull and ack shards, publish results, read and write done-marks) and nothing that would let a stolen
// agent password publish work, delete or purge streams, or read other state; wrong credentials are refused.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { randomBytes } from "node:crypto";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DONE_BUCKET,
  JOBS_STREAM,
  SWEEPS_BUCKET,
  jobsSubject,
  resultsSubject,
} from "../../core/nats-names.js";
import { natsLogin } from "../../core/nats-credentials.js";
import { ensurePoolConsumer, setupJetStream } from "../../services/coordinator/jetstream-setup.js";

const PERMISSIONS = path.resolve(import.meta.dirname, "../../infra/nats/permissions.conf");
const POOL = "req-permtest";
const passwords = {
  SPECGRID_NATS_COORDINATOR_PASSWORD: randomBytes(12).toString("hex"),
  SPECGRID_NATS_AGENT_PASSWORD: randomBytes(12).toString("hex"),
  SPECGRID_NATS_READER_PASSWORD: randomBytes(12).toString("hex"),
};

let dir: string;
let server: ChildProcess;
let url: string;
let coordinator: NatsConnection;
let agent: NatsConnection;

function nats(): string {
  return process.env.SPECGRID_NATS_SERVER ?? "nats-server";
}

async function startServer(): Promise<void> {
  dir = mkdtempSync(path.join(os.tmpdir(), "specgrid-nats-perm-"));
  // the shipped permissions file, included by a test config that listens on a free loopback port
  copyFileSync(PERMISSIONS, path.join(dir, "permissions.conf"));
  writeFileSync(
    path.join(dir, "test.conf"),
    `listen: "127.0.0.1:-1"\njetstream { store_dir: ${JSON.stringify(path.join(dir, "store"))} }\ninclude permissions.conf\n`,
  );
  server = spawn(nats(), ["-c", path.join(dir, "test.conf"), "--ports_file_dir", dir], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...quoted(passwords) },
  });
  let stderr = "";
  server.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const pid = server.pid;
  if (pid === undefined) throw new Error("nats-server did not start");
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`nats-server exited (${server.exitCode}): ${stderr}`);
    try {
      const ports = JSON.parse(readFileSync(path.join(dir, `nats-server_${pid}.ports`), "utf8")) as {
        nats: string[];
      };
      if (ports.nats[0] !== undefined) {
        url = ports.nats[0];
        return;
      }
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`nats-server did not report its port within 30 s: ${stderr}`);
}

/**
 * nats-server parses a variable's value as config text, so a password that starts with a digit (or holds a
 * space or `$`) must arrive quoted: the recipe docs/deployment.md gives.
 */
function quoted(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, JSON.stringify(v)]));
}

const agentLogin = (): { user: string; pass: string } => ({
  user: "specgrid-agent",
  pass: passwords.SPECGRID_NATS_AGENT_PASSWORD,
});

beforeAll(async () => {
  await startServer();
  coordinator = await connect({
    servers: url,
    user: "specgrid-coordinator",
    pass: passwords.SPECGRID_NATS_COORDINATOR_PASSWORD,
  });
  const jsm = await jetstreamManager(coordinator);
  await setupJetStream(coordinator, jsm, 60_000);
  await ensurePoolConsumer(jsm, POOL, 30_000, 5);
  agent = await connect({ servers: url, ...agentLogin() });
}, 60_000);

afterAll(async () => {
  await agent?.close().catch(() => undefined);
  await coordinator?.close().catch(() => undefined);
  if (server?.pid !== undefined) {
    try {
      process.kill(-server.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function jobsCount(): Promise<number> {
  const jsm = await jetstreamManager(coordinator);
  return (await jsm.streams.info(JOBS_STREAM)).state.messages;
}

describe("NATS permissions for agents (infra/nats/permissions.conf)", () => {
  it("lets an agent do what the daemon does: pull, in-progress, ack, publish a result, use done-marks", async () => {
    await jetstream(coordinator).publish(jobsSubject(POOL), new TextEncoder().encode("shard-1"));
    const js = jetstream(agent, { timeout: 3_000 });
    const done = await new Kvm(agent).open(DONE_BUCKET);
    const consumer = await js.consumers.get(JOBS_STREAM, POOL);
    const info = await consumer.info(true);
    expect(info.config.durable_name).toBe(POOL);
    const m = await consumer.next({ expires: 2_000 });
    expect(m?.string()).toBe("shard-1");
    m?.working();
    const ack = await js.publish(resultsSubject("sweep1"), new TextEncoder().encode("result"), {
      msgID: "sweep1.cell1.any",
    });
    expect(ack.stream).toBe("SPECGRID_RESULTS");
    await done.put("sweep1.cell1.any", "agent-1");
    expect((await done.get("sweep1.cell1.any"))?.string()).toBe("agent-1");
    await m?.ackAck();
    expect(await jobsCount()).toBe(0);
  });

  it("refuses an agent that publishes work, and the queue is unchanged", async () => {
    const before = await jobsCount();
    const js = jetstream(agent, { timeout: 2_000 });
    await expect(js.publish(jobsSubject(POOL), new TextEncoder().encode("forged shard"))).rejects.toThrow();
    agent.publish(jobsSubject(POOL), "forged, core publish");
    await agent.flush();
    expect(await jobsCount()).toBe(before);
    console.info(`[nats permissions] jobs before forged publish: ${before}, after: ${await jobsCount()}`);
  });

  it("refuses an agent that deletes or purges streams or consumers", async () => {
    const jsm = await jetstreamManager(agent, { timeout: 2_000, checkAPI: false });
    await expect(jsm.streams.delete(JOBS_STREAM)).rejects.toThrow();
    await expect(jsm.streams.purge("SPECGRID_RESULTS")).rejects.toThrow();
    await expect(jsm.consumers.delete(JOBS_STREAM, POOL)).rejects.toThrow();
    const admin = await jetstreamManager(coordinator);
    await expect(admin.streams.info(JOBS_STREAM)).resolves.toBeDefined();
    expect((await admin.streams.info("SPECGRID_RESULTS")).state.messages).toBeGreaterThan(0);
    await expect(admin.consumers.info(JOBS_STREAM, POOL)).resolves.toBeDefined();
  });

  it("refuses an agent that reads the sweeps bucket or subscribes to the job subjects", async () => {
    // open() itself may not ask the server; reading or writing an entry must fail
    const sweeps = await new Kvm(jetstream(agent, { timeout: 2_000 }))
      .open(SWEEPS_BUCKET)
      .catch((err: unknown) => err as Error);
    if (!(sweeps instanceof Error)) {
      await expect(sweeps.get("any")).rejects.toThrow();
      await expect(sweeps.put("any", "forged")).rejects.toThrow();
    }
    const other = await connect({ servers: url, ...agentLogin() });
    const errors: string[] = [];
    void (async () => {
      for await (const s of other.status()) if (s.type === "error") errors.push(String(s.error));
    })();
    const sub = other.subscribe("specgrid.jobs.>");
    await other.flush();
    await sleep(200);
    expect(errors.join("\n") + String(await sub.closed.catch((e: unknown) => e))).toMatch(
      /Permissions Violation/i,
    );
    await other.close();
  });

  it("refuses wrong and missing credentials, and right credentials for the wrong user", async () => {
    const refused = [
      { user: "specgrid-agent", pass: "wrong" },
      {},
      { user: "nobody", pass: passwords.SPECGRID_NATS_AGENT_PASSWORD },
      { user: "specgrid-coordinator", pass: passwords.SPECGRID_NATS_AGENT_PASSWORD },
    ];
    for (const login of refused) {
      await expect(connect({ servers: url, ...login, maxReconnectAttempts: 0 })).rejects.toThrow(
        /Authorization/i,
      );
    }
    console.info(`[nats permissions] refused logins: ${refused.length}`);
  });

  it("connects with credentials written in the URL once natsLogin moves them into options", async () => {
    const port = new URL(url).port;
    const written = `nats://specgrid-agent:${passwords.SPECGRID_NATS_AGENT_PASSWORD}@127.0.0.1:${port}`;
    // nats.js itself does not use URL credentials: depending on the password it misreads the host or port,
    // or reaches the server as an anonymous client; either way no connection
    await expect(connect({ servers: written, maxReconnectAttempts: 0 })).rejects.toThrow();
    const nc = await connect({ ...natsLogin(written), maxReconnectAttempts: 0 });
    await nc.close();
  });

  it("lets a reader pull results but not publish them", async () => {
    const reader = await connect({
      servers: url,
      user: "specgrid-reader",
      pass: passwords.SPECGRID_NATS_READER_PASSWORD,
    });
    const jsm = await jetstreamManager(reader, { timeout: 2_000 });
    await jsm.consumers.add("SPECGRID_RESULTS", {
      durable_name: "reader-1",
      ack_policy: AckPolicy.Explicit,
    });
    const c = await jetstream(reader).consumers.get("SPECGRID_RESULTS", "reader-1");
    const m = await c.next({ expires: 2_000 });
    expect(m?.string()).toBe("result");
    m?.ack();
    await expect(
      jetstream(reader, { timeout: 2_000 }).publish(
        resultsSubject("sweep1"),
        new TextEncoder().encode("forged"),
      ),
    ).rejects.toThrow();
    await reader.close();
  });

  it("ships a single-server config that loads with the users and fails closed without their passwords", () => {
    const conf = path.resolve(import.meta.dirname, "../../infra/nats/single-users.conf");
    const withEnv = spawnSync(nats(), ["-c", conf, "-t"], {
      env: { ...process.env, ...quoted(passwords) },
      encoding: "utf8",
    });
    expect(withEnv.status, withEnv.stderr).toBe(0);
    const env = { ...process.env, ...quoted(passwords) };
    delete env.SPECGRID_NATS_AGENT_PASSWORD;
    const without = spawnSync(nats(), ["-c", conf, "-t"], { env, encoding: "utf8" });
    expect(without.status).not.toBe(0);
    expect(without.stderr + without.stdout).toMatch(/variable reference .* can not be found/);
  });
});
