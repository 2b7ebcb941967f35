// TLS on the coordinator's gRPC port, with a self-signed certificate made by openssl for this test.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpecgridError } from "../../core/errors.js";
import { createCoordinatorClient } from "../../core/wire/coordinator-client.js";
import { coordinatorPlanning } from "../../cli/runtime/coordinator-planning.js";
import { startCoordinator, type RunningCoordinator } from "../../services/coordinator/start-coordinator.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";

describe("coordinator over TLS", () => {
  let dir: string;
  let nats: TestNats;
  let coordinator: RunningCoordinator;
  let cert: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-tls-"));
    cert = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    nats = await startTestNats();
    coordinator = await startCoordinator({
      listen: "127.0.0.1:0",
      natsUrl: nats.url,
      token: "tls-token",
      tls: { certFile: cert, keyFile: key },
      logger: pino({ level: "silent" }),
      ...coordinatorPlanning(),
    });
  });

  afterAll(async () => {
    await coordinator?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves a client that trusts the certificate and carries the token", async () => {
    const client = createCoordinatorClient({
      address: `localhost:${coordinator.port}`,
      token: "tls-token",
      tlsCaFile: cert,
    });
    try {
      expect(await client.listSweeps()).toEqual([]);
    } finally {
      client.close();
    }
  });

  it.each([
    ["a plain-text client", { token: "tls-token" }, "UNAVAILABLE"],
    ["a TLS client with the wrong token", { token: "nope", tls: true }, "UNAUTHENTICATED"],
  ])("refuses %s", async (_name, opts, code) => {
    const client = createCoordinatorClient({
      address: `localhost:${coordinator.port}`,
      callTimeoutMs: 3_000,
      token: opts.token,
      ...("tls" in opts ? { tlsCaFile: cert } : {}),
    });
    try {
      const err = await client.listAgents().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpecgridError);
      expect((err as SpecgridError).code).toBe(code);
    } finally {
      client.close();
    }
  });
});
