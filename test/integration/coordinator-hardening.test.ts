// The smaller security points of a coordinator: a blank Register is refused (it created an agent "agent"),
// a short token is refused by `coordinator start` (one character was accepted), a plaintext listener
// reachable from other machines is warned about, and the token can come from a file instead of the
// command line that `ps` shows. A real nats-server, a real gRPC coordinator and the CLI as a child process.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coordinatorPlanning } from "../../services/coordinator/coordinator-planning.js";
import { startCoordinator, type RunningCoordinator } from "../../services/coordinator/start-coordinator.js";
import { createCoordinatorClient } from "../../core/wire/coordinator-client.js";
import { isLoopbackListen } from "../../cli/commands/coordinator/start.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";
import { runCli } from "../support/run-cli.js";

const TOKEN = "coordinator-hardening-token-0123456789";
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "specgrid-hardening-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("Register", () => {
  let nats: TestNats;
  let coordinator: RunningCoordinator;
  beforeAll(async () => {
    nats = await startTestNats({ native: true });
    coordinator = await startCoordinator({
      listen: "127.0.0.1:0",
      natsUrl: nats.url,
      token: TOKEN,
      logger: pino({ level: "silent" }),
      ...coordinatorPlanning({}),
    });
  });
  afterAll(async () => {
    await coordinator?.stop();
    await nats?.stop();
  });

  it("refuses an empty request with a valid token, and lists no blank agent", async () => {
    const client = createCoordinatorClient({ address: `127.0.0.1:${coordinator.port}`, token: TOKEN });
    try {
      const err = (await client.register({ name: "", slots: 0 }).catch((e: unknown) => e)) as Error & {
        code: string;
      };
      expect(err.code).toBe("INVALID_ARGUMENT");
      expect(err.message).toMatch(/Register needs the agent's name or its host facts/);
      expect((await client.listAgents()).map((a) => a.agentId)).toEqual([]);
      // a named one still registers
      expect((await client.register({ name: "named", slots: 1 })).agentId).toBe("named");
    } finally {
      client.close();
    }
  });
});

describe("coordinator start", () => {
  it("refuses a one-character token, saying how to make a good one", async () => {
    const run = await runCli(["coordinator", "start", "--token", "x", "--nats", "nats://127.0.0.1:1"]);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /the token is 1 characters: use at least 16 random ones \(`openssl rand -hex 32`/,
    );
  });

  it("reads the token from --token-file (a short one there is refused too; an empty file is named)", async () => {
    const short = path.join(dir, "short.token");
    fs.writeFileSync(short, "abc\n", { mode: 0o600 });
    const empty = path.join(dir, "empty.token");
    fs.writeFileSync(empty, "\n", { mode: 0o600 });
    const a = await runCli(["coordinator", "start", "--token-file", short, "--nats", "nats://127.0.0.1:1"]);
    expect(a.status, a.stderr).toBe(2);
    expect(a.stderr).toMatch(/the token is 3 characters/);
    const b = await runCli(["coordinator", "start", "--nats", "nats://127.0.0.1:1"], {
      env: { SPECGRID_TOKEN_FILE: empty, SPECGRID_TOKEN: "" },
    });
    expect(b.status, b.stderr).toBe(2);
    expect(b.stderr).toContain(`--token-file ${empty} is empty`);
  });

  it("warns about a plaintext --listen that other machines can reach", async () => {
    const tokenFile = path.join(dir, "good.token");
    fs.writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    // NATS is unreachable on purpose: the warning comes first, then the command ends
    const run = await runCli([
      "coordinator",
      "start",
      "--listen",
      "0.0.0.0:0",
      "--token-file",
      tokenFile,
      "--nats",
      "nats://127.0.0.1:1",
    ]);
    expect(run.stderr).toMatch(/--listen 0\.0\.0\.0:0 is reachable from other machines without TLS/);
    expect(run.stderr).not.toContain(TOKEN);
  });

  it.each([
    ["127.0.0.1:7400", true],
    ["localhost:7400", true],
    ["[::1]:7400", true],
    ["0.0.0.0:7400", false],
    ["10.0.0.5:7400", false],
    ["[::]:7400", false],
  ])("isLoopbackListen(%s) is %s", (listen, loopback) => {
    expect(isLoopbackListen(listen)).toBe(loopback);
  });
});
