// "done" means "every result is stored": a result the coordinator already counted and that then vanished
// from SPECGRID_RESULTS (what a NATS node failover did to test/integration/nats-cluster.test.ts, reproduced
// here by deleting the message on a real nats-server) must be back on the stream before the sweep is done.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import type { CellResult } from "../../core/metrics.js";
import { RESULTS_STREAM, resultMsgId, resultsSubject } from "../../core/nats-names.js";
import { createCoordinatorClient, type CoordinatorClient } from "../../core/wire/coordinator-client.js";
import { encodeCellResult } from "../../core/wire/nats-payloads.js";
import { shardFromProto } from "../../core/wire/shard-wire.js";
import { coordinatorPlanning } from "../../services/coordinator/coordinator-planning.js";
import { startCoordinator, type RunningCoordinator } from "../../services/coordinator/start-coordinator.js";
import { sweepResults } from "../support/daemon-stack.js";
import { getModelFamily } from "../support/model-family.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";
import { registerHolder, waitFor } from "./runtime-cluster.js";

const sha256File = async (file: string): Promise<string> =>
  createHash("sha256")
    .update(await readFile(file))
    .digest("hex");

describe("a counted result lost from the results stream", () => {
  let dir: string;
  let nats: TestNats;
  let coordinator: RunningCoordinator;
  let client: CoordinatorClient;
  let nc: NatsConnection;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-durable-"));
    nats = await startTestNats({ native: true });
    coordinator = await startCoordinator({
      listen: "127.0.0.1:0",
      natsUrl: nats.url,
      token: "durability-test-token",
      logger: pino({ level: process.env.SPECGRID_TEST_LOG ?? "silent" }),
      heartbeatMs: 10_000,
      ...coordinatorPlanning(),
    });
    client = createCoordinatorClient({ address: coordinator.address, token: "durability-test-token" });
    nc = await connect({ servers: nats.url });
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    client?.close();
    await coordinator?.stop();
    await nats?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is published again before the sweep is called done", async () => {
    const family = await getModelFamily();
    const [t, d] = [await sha256File(family.target), await sha256File(family.drafts.get(0)!)];
    // holds the models, never pulls: this test plays the agent by publishing results itself
    await registerHolder(client, "holder", [
      { file: "target.gguf", sha256: t },
      { file: "draft.gguf", sha256: d },
    ]);
    const manifest = path.join(dir, "m.yaml");
    await writeFile(
      manifest,
      [
        "name: durable",
        "models: { target: { file: target.gguf }, draft: { file: draft.gguf } }",
        "pairs: [{ target: target, draft: draft }]",
        "prompts: [Once upon a time, The quick brown fox]",
        "sweep: { k: [1, 2], temperature: [0], n_predict: 8 }",
        "engine: in-process",
      ].join("\n"),
    );
    const sub = await client.submitSweep(await manifestForSubmit(manifest));
    const status = await client.getSweep(sub.sweepId);
    const cells = status.shards.flatMap((s) => shardFromProto(s).shard.cells);
    expect(cells.length).toBe(sub.placements);
    expect(cells.length).toBeGreaterThan(2);

    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const now = new Date().toISOString();
    const publish = (cellId: string) => {
      const result: CellResult = {
        sweepId: sub.sweepId,
        cellId,
        hostId: "holder",
        shardId: "s",
        attempt: 1,
        engine: "in-process",
        outcome: { status: "ok" },
        startedAt: now,
        finishedAt: now,
      };
      return js.publish(resultsSubject(sub.sweepId), encodeCellResult(result), {
        msgID: resultMsgId(sub.sweepId, cellId, undefined),
      });
    };

    // the first result is counted, then lost from the stream (as with the failed-over node that held it)
    const [first, ...rest] = cells;
    const ack = await publish(first!.cellId);
    await waitFor(
      async () => (await client.getSweep(sub.sweepId)).done === 1,
      10_000,
      () => "the coordinator never counted the first result",
    );
    expect(await jsm.streams.deleteMessage(RESULTS_STREAM, ack.seq)).toBe(true);
    for (const c of rest) await publish(c.cellId);

    let final = await client.getSweep(sub.sweepId);
    await waitFor(
      async () => {
        final = await client.getSweep(sub.sweepId);
        return final.state !== "running";
      },
      20_000,
      () => `sweep still ${final.state} at ${final.done}/${final.placementsTotal}`,
    );
    const stored = await sweepResults(nats.url, sub.sweepId);
    const storedCells = new Set(stored.map((r) => r.cellId));
    const missing = cells.filter((c) => !storedCells.has(c.cellId)).map((c) => c.cellId);
    expect(final.state).toBe("done");
    expect(final.done).toBe(cells.length);
    expect(missing).toEqual([]);
    // put back once, not once per check
    expect(stored.length).toBe(cells.length);
  }, 60_000);
});
