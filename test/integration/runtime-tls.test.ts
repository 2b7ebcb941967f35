// TLS on the coordinator's gRPC port, and mutual TLS on top of it, with a throwaway CA made by openssl for
// this file. Every refusal is checked at the library and, for the flags, through the CLI.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runCommand } from "@oclif/test";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpecgridError } from "../../core/errors.js";
import {
  createCoordinatorClient,
  type CoordinatorClientOptions,
} from "../../core/wire/coordinator-client.js";
import type { AgentsListResult } from "../../cli/commands/agents/list.js";
import { coordinatorPlanning } from "../../services/coordinator/coordinator-planning.js";
import { startCoordinator, type RunningCoordinator } from "../../services/coordinator/start-coordinator.js";
import type { TlsFiles } from "../../services/coordinator/coordinator-options.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";
import { makeTestPki, type TestPki } from "../support/test-pki.js";

const TOKEN = "tls-token-0123456789";

let dir: string;
let pki: TestPki;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-tls-"));
  pki = makeTestPki(dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A coordinator with its own NATS server, so the two blocks below share no streams. */
function coordinatorWithTls(tls: () => TlsFiles): { address: () => string } {
  let nats: TestNats;
  let coordinator: RunningCoordinator;
  beforeAll(async () => {
    nats = await startTestNats();
    coordinator = await startCoordinator({
      listen: "127.0.0.1:0",
      natsUrl: nats.url,
      token: TOKEN,
      tls: tls(),
      logger: pino({ level: "silent" }),
      ...coordinatorPlanning(),
    });
  });
  afterAll(async () => {
    await coordinator?.stop();
    await nats?.stop();
  });
  // the certificate names localhost, so clients must dial that name
  return { address: () => `localhost:${coordinator.port}` };
}

async function refusal(opts: CoordinatorClientOptions, name: string): Promise<SpecgridError> {
  const client = createCoordinatorClient({ callTimeoutMs: 3_000, ...opts });
  try {
    const err = await client.register({ name, slots: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, `${name} was let in`).toBeInstanceOf(SpecgridError);
    return err as SpecgridError;
  } finally {
    client.close();
  }
}

describe("coordinator over TLS", () => {
  const c = coordinatorWithTls(() => ({ certFile: pki.serverCert, keyFile: pki.serverKey }));

  it("serves a client that trusts the CA and carries the token", async () => {
    const client = createCoordinatorClient({ address: c.address(), token: TOKEN, tlsCaFile: pki.caCert });
    try {
      expect(await client.listSweeps()).toEqual([]);
    } finally {
      client.close();
    }
  });

  it.each([
    ["a plain-text client", { token: TOKEN }, "UNAVAILABLE"],
    ["a TLS client with the wrong token", { token: "nope", tlsCaFile: "ca" }, "UNAUTHENTICATED"],
  ])("refuses %s", async (name, opts, code) => {
    const tlsCaFile = "tlsCaFile" in opts ? pki.caCert : undefined;
    const err = await refusal({ address: c.address(), token: opts.token, tlsCaFile }, name);
    expect(err.code).toBe(code);
  });
});

describe("coordinator with mutual TLS (--tls-client-ca)", () => {
  const c = coordinatorWithTls(() => ({
    certFile: pki.serverCert,
    keyFile: pki.serverKey,
    caFile: pki.caCert,
  }));
  const goodClient = (): CoordinatorClientOptions => ({
    address: c.address(),
    token: TOKEN,
    tlsCaFile: pki.caCert,
    tlsCertFile: pki.clientCert,
    tlsKeyFile: pki.clientKey,
  });

  it.each([
    ["no client certificate", { cert: "none", token: TOKEN }, "UNAVAILABLE"],
    ["a certificate from another CA", { cert: "stranger", token: TOKEN }, "UNAVAILABLE"],
    ["the right certificate but no token", { cert: "good", token: "" }, "UNAUTHENTICATED"],
    ["the right certificate and a wrong token", { cert: "good", token: "nope" }, "UNAUTHENTICATED"],
  ])("refuses a client with %s", async (name, o, code) => {
    const files =
      o.cert === "good"
        ? { tlsCertFile: pki.clientCert, tlsKeyFile: pki.clientKey }
        : o.cert === "stranger"
          ? { tlsCertFile: pki.strangerCert, tlsKeyFile: pki.strangerKey }
          : {};
    const err = await refusal(
      { address: c.address(), token: o.token, tlsCaFile: pki.caCert, ...files },
      name,
    );
    expect(err.code).toBe(code);
    if (code === "UNAVAILABLE") expect(err.message).toMatch(/--tls-c/); // says which TLS files to check
  });

  // refused clients tried to register under their case names; only good clients' names may ever be listed
  const goodNames = ["agent-1", "agent-cli"];

  it("registered nothing for the refused clients, and registers a client with certificate and token", async () => {
    const client = createCoordinatorClient(goodClient());
    try {
      const before = await client.listAgents();
      expect(before.filter((a) => !goodNames.includes(a.name))).toEqual([]);
      const reg = await client.register({ name: "agent-1", slots: 1 });
      const after = await client.listAgents();
      expect(after.filter((a) => !goodNames.includes(a.name))).toEqual([]);
      expect(after.find((a) => a.name === "agent-1")?.agentId).toBe(reg.agentId);
    } finally {
      client.close();
    }
  });

  it("agents list presents the client certificate from flags and from the environment", async () => {
    const client = createCoordinatorClient(goodClient());
    await client.register({ name: "agent-cli", slots: 1 }).finally(() => client.close());
    const common = ["agents", "list", "--coordinator", c.address(), "--token", TOKEN, "--tls-ca", pki.caCert];
    const byFlags = await runCommand<AgentsListResult>([
      ...common,
      ...["--tls-cert", pki.clientCert, "--tls-key", pki.clientKey, "--json"],
    ]);
    expect(byFlags.error).toBeUndefined();
    expect(byFlags.result?.agents.map((a) => a.name)).toContain("agent-cli");

    process.env.SPECGRID_TLS_CERT = pki.clientCert;
    process.env.SPECGRID_TLS_KEY = pki.clientKey;
    try {
      const byEnv = await runCommand<AgentsListResult>([...common, "--json"]);
      expect(byEnv.error).toBeUndefined();
      expect(byEnv.result?.agents.map((a) => a.name)).toContain("agent-cli");
    } finally {
      delete process.env.SPECGRID_TLS_CERT;
      delete process.env.SPECGRID_TLS_KEY;
    }

    // without --json, so the refusal arrives as the command's error rather than as JSON on stdout
    const without = await runCommand(common);
    expect(without.error?.oclif?.exit).toBe(2);
    expect(without.error?.message).toMatch(/certificate required.*pass --tls-cert and --tls-key/s);
  });
});

describe("TLS flags that cannot work", () => {
  it.each([
    [
      "a client certificate without its key",
      ["agents", "list", "--token", TOKEN, "--tls-cert", "client.crt"],
      /--tls-cert and --tls-key together/,
    ],
    [
      "an unreadable CA file",
      ["sweep", "list", "--token", TOKEN, "--tls-ca", "/nonexistent/ca.crt"],
      /cannot read --tls-ca .*\/nonexistent\/ca\.crt/,
    ],
    [
      "a client CA on a coordinator without TLS",
      ["coordinator", "start", "--token", TOKEN, "--tls-client-ca", "ca.crt"],
      /--tls-client-ca .*needs TLS first/,
    ],
    [
      "the old --tls-ca spelling on a coordinator without TLS",
      ["coordinator", "start", "--token", TOKEN, "--tls-ca", "ca.crt"],
      /--tls-client-ca .*needs TLS first/,
    ],
  ])("stops on %s with exit 2", async (_name, argv, message) => {
    const { error } = await runCommand(argv);
    expect(error?.oclif?.exit).toBe(2);
    expect(error?.message).toMatch(message);
  });
});
