// Transport failures as sentences naming the address or file and the fix. They used to be grpc-js's own
// words ("No connection established ... Resolution note: " ending in nothing, a bare "Protocol error",
// "No address added out of total 1 resolved") and the YAML parser's "Maximum call stack size exceeded".
// Real sockets, a real nats-server and the CLI as a child process.
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifest } from "../../core/manifest/load-manifest.js";
import { createCoordinatorClient } from "../../core/wire/coordinator-client.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";
import { runCli } from "../support/run-cli.js";

const TOKEN = "transport-messages-test-token-0123456789";

async function listening(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

async function listAgentsError(address: string): Promise<Error> {
  const client = createCoordinatorClient({ address, token: TOKEN, callTimeoutMs: 5_000 });
  try {
    await client.listAgents();
    throw new Error("expected listAgents to fail");
  } catch (err) {
    return err as Error;
  } finally {
    client.close();
  }
}

let dir: string;
const servers: net.Server[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "specgrid-transport-"));
});
afterAll(() => {
  for (const s of servers) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("a client that cannot reach a coordinator", () => {
  it("a closed port: nothing listens there, and what --coordinator must name", async () => {
    const probe = net.createServer();
    const address = await listening(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const err = await listAgentsError(address);
    expect(err.message).toMatch(new RegExp(`^nothing listens at ${address} \\(connection refused\\)`));
    expect(err.message).toMatch(/--coordinator \(or SPECGRID_COORDINATOR\)/);
    expect(err.message).not.toMatch(/Resolution note/);
  });

  it.each([
    ["a NATS-like server", (s: net.Socket) => s.write('INFO {"server_id":"x"}\r\n')],
    ["an HTTP/1 server", undefined],
  ])("another protocol on the port (%s): answered, but not as gRPC", async (_name, greet) => {
    const server = greet ? net.createServer(greet) : http.createServer((_req, res) => res.end("hello"));
    servers.push(server);
    const address = await listening(server);
    const err = await listAgentsError(address);
    expect(err.message).toMatch(
      new RegExp(`^${address} answered, but not as a gRPC coordinator \\(protocol error\\)`),
    );
    expect(err.message).toMatch(/NATS listens on 4222, the coordinator on 7400/);
  });

  it("sweep list against a closed port prints the sentence, as a real process", async () => {
    const run = await runCli(["sweep", "list", "--coordinator", "127.0.0.1:1", "--token", TOKEN]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("nothing listens at 127.0.0.1:1 (connection refused)");
    expect(run.stderr).not.toMatch(/Resolution note/);
  });
});

describe("coordinator start on a port that is taken", () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats({ native: true });
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it("exits 2 naming the address and the fix, instead of grpc-js's 'No address added'", async () => {
    const holder = net.createServer();
    servers.push(holder);
    const address = await listening(holder);
    const run = await runCli(
      ["coordinator", "start", "--listen", address, "--nats", nats.url, "--token", TOKEN],
      { timeoutMs: 60_000 },
    );
    expect(run.timedOut, "coordinator start did not exit after failing to bind").toBe(false);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain(`cannot listen on ${address}`);
    expect(run.stderr).toMatch(/Pass another --listen HOST:PORT, or stop what holds the port/);
  });
});

describe("a YAML nested 20,000 levels deep", () => {
  it("is a sentence naming the file, not a stack overflow", async () => {
    const file = path.join(dir, "deep.yaml");
    fs.writeFileSync(file, `name: x\nsweep: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`);
    const err = (await loadManifest(file).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain("deep.yaml");
    expect(err.message).toMatch(/nests too deeply to read .*check the brackets/);
    expect(err.message).not.toMatch(/Maximum call stack/);
  });
});
