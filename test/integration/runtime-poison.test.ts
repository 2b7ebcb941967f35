// A shard whose holder vanishes on its last delivery: the server's max-deliveries advisory makes the
// coordinator record the shard's cells as failed and drop the message, so the sweep ends instead of hanging.
// The "agent" here is a bare registrant plus a NATS pull that never acks (what a SIGKILL leaves behind).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256File } from "../../agents/probe/sha256-cache.js";
import { coordinatorPlanning } from "../../services/coordinator/coordinator-planning.js";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import { JOBS_STREAM } from "../../core/nats-names.js";
import { createCoordinatorClient, type CoordinatorClient } from "../../core/wire/coordinator-client.js";
import { startCoordinator, type RunningCoordinator } from "../../services/coordinator/start-coordinator.js";
import { getModelFamily } from "../support/model-family.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";
import { onlySpreadPool, registerHolder, waitFor } from "./runtime-cluster.js";

describe("a shard that exhausts max_deliver", () => {
  let dir: string;
  let nats: TestNats;
  let coordinator: RunningCoordinator;
  let client: CoordinatorClient;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-poison-"));
    nats = await startTestNats();
    coordinator = await startCoordinator({
      listen: "127.0.0.1:0",
      natsUrl: nats.url,
      token: "t",
      logger: pino({ level: "silent" }),
      heartbeatMs: 10_000,
      ackWaitMs: 1_000,
      maxDeliver: 1,
      ...coordinatorPlanning(),
    });
    client = createCoordinatorClient({ address: coordinator.address, token: "t" });
  });

  afterAll(async () => {
    client?.close();
    await coordinator?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("records its cells failed and the sweep ends", async () => {
    const family = await getModelFamily();
    const [t, d] = [await sha256File(family.target), await sha256File(family.drafts.get(0)!)];
    await registerHolder(client, "ghost", [
      { file: "target.gguf", sha256: t },
      { file: "draft.gguf", sha256: d },
    ]);
    const manifest = path.join(dir, "m.yaml");
    await writeFile(
      manifest,
      [
        "name: poison",
        "models: { target: { file: target.gguf }, draft: { file: draft.gguf } }",
        "pairs: [{ target: target, draft: draft }]",
        "prompts: [Once upon a time]",
        "sweep: { k: [2], temperature: [0], n_predict: 8 }",
        "engine: in-process",
      ].join("\n"),
    );
    const sub = await client.submitSweep(await manifestForSubmit(manifest));

    const nc = await connect({ servers: nats.url });
    try {
      const consumer = await jetstream(nc).consumers.get(JOBS_STREAM, await onlySpreadPool(nc));
      const held = await consumer.next({ expires: 5_000 });
      expect(held).not.toBeNull(); // taken and never acked, like an agent killed mid-shard
      let state = "running";
      let redelivered = 0;
      await waitFor(
        async () => {
          // an idle agent keeps pulling: the server only checks for exhausted deliveries when asked for work
          if ((await consumer.next({ expires: 1_000 })) !== null) redelivered++;
          state = (await client.getSweep(sub.sweepId)).state;
          return state !== "running";
        },
        20_000,
        () => `sweep still ${state}`,
      );
      expect(redelivered).toBe(0);
      const status = await client.getSweep(sub.sweepId);
      expect(status).toMatchObject({ state: "failed", failed: sub.placements, done: sub.placements });
      const jobs = await (await jetstream(nc).jetstreamManager()).streams.info(JOBS_STREAM);
      expect(jobs.state.messages).toBe(0);
    } finally {
      await nc.close();
    }
  }, 40_000);
});
