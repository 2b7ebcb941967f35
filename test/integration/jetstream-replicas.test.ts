// Replica counts on a single nats-server: 1 works, more is refused with a message that says what to pass,
// and a count outside 1..5 is refused before anything is sent.
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../core/errors.js";
import { JOBS_STREAM } from "../../core/nats-names.js";
import { setupJetStream } from "../../services/coordinator/jetstream-setup.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";

describe("JetStream replicas on a single server", () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nats = await startTestNats({ native: true });
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  }, 30_000);

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it.each([0, 6, 1.5])("refuses replicas %s before touching the server", async (replicas) => {
    await expect(setupJetStream(nc, jsm, 60_000, replicas)).rejects.toThrow(
      /replicas must be an integer from 1 to 5/,
    );
  });

  it("refuses 3 replicas with a message naming the stream and the fix", async () => {
    const err = await setupJetStream(nc, jsm, 60_000, 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(JOBS_STREAM);
    expect((err as Error).message).toContain("--replicas 1");
  });

  it("creates everything with 1 replica, and a second start leaves it so", async () => {
    for (let start = 0; start < 2; start++) await setupJetStream(nc, jsm, 60_000, 1);
    const info = await jsm.streams.info(JOBS_STREAM);
    expect(info.config.num_replicas).toBe(1);
    expect((await jsm.streams.info("KV_specgrid_done")).config.num_replicas).toBe(1);
  });
});
