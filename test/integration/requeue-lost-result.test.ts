// A result lost before the coordinator saw it: the agent ran the shard, wrote every done-mark and acked it,
// but one cell's result never reached the stream. Every redelivery would skip that cell as done, so without a
// re-queue the sweep waits forever. The coordinator must notice the quiet sweep (nothing running, nothing
// queued, a placement missing), clear the stale done-mark and publish the cell again, which a real agent
// then runs, closing the sweep out.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "../../agents/daemon/agent-daemon.js";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import { fileSha256 } from "../../core/gguf/file-sha256.js";
import type { CellResult } from "../../core/metrics.js";
import { DONE_BUCKET, JOBS_STREAM, doneKey, resultMsgId, resultsSubject } from "../../core/nats-names.js";
import { createCoordinatorClient, type CoordinatorClient } from "../../core/wire/coordinator-client.js";
import { decodeShard, encodeCellResult } from "../../core/wire/nats-payloads.js";
import { coordinatorPlanning } from "../../services/coordinator/coordinator-planning.js";
import { startCoordinator, type RunningCoordinator } from "../../services/coordinator/start-coordinator.js";
import { ZeroCostEngine } from "../bench/zero-cost-engine.js";
import { sweepResults } from "../support/daemon-stack.js";
import { getModelFamily } from "../support/model-family.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";
import { modelDirWith, registerHolder, waitFor } from "./runtime-cluster.js";

const TOKEN = "requeue-lost-result-token";

describe("a result lost before the coordinator saw it", () => {
  let dir: string;
  let nats: TestNats;
  let coordinator: RunningCoordinator;
  let client: CoordinatorClient;
  let nc: NatsConnection;
  let agent: RunningAgent | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-requeue-"));
    nats = await startTestNats({ native: true });
    coordinator = await startCoordinator({
      listen: "127.0.0.1:0",
      natsUrl: nats.url,
      token: TOKEN,
      logger: pino({ level: process.env.SPECGRID_TEST_LOG ?? "silent" }),
      heartbeatMs: 300,
      requeueAfterMs: 1_500,
      ...coordinatorPlanning(),
    });
    client = createCoordinatorClient({ address: coordinator.address, token: TOKEN });
    nc = await connect({ servers: nats.url });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await nc?.close();
    client?.close();
    await coordinator?.stop();
    await nats?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is run again after the sweep goes quiet, and the sweep closes out", async () => {
    const family = await getModelFamily();
    const [t, d] = [await fileSha256(family.target), await fileSha256(family.drafts.get(0)!)];
    // holds the models and never pulls: this test plays the agent that loses a result
    await registerHolder(client, "loser", [
      { file: "target.gguf", sha256: t },
      { file: "draft-n0.gguf", sha256: d },
    ]);
    const manifest = path.join(dir, "m.yaml");
    await writeFile(
      manifest,
      [
        "name: lost-result",
        "models: { target: { file: target.gguf }, draft: { file: draft-n0.gguf } }",
        "pairs: [{ target: target, draft: draft }]",
        "prompts: [Once upon a time, The quick brown fox]",
        "sweep: { k: [1, 2], temperature: [0], n_predict: 4 }",
        "engine: in-process",
        "llama: { threads: 1 }",
      ].join("\n"),
    );
    const sub = await client.submitSweep(await manifestForSubmit(manifest));
    expect(sub.shards).toBe(1);

    // the losing agent: takes the shard, marks every cell done, publishes all results but one, acks
    const js = jetstream(nc);
    const done = await new Kvm(nc).open(DONE_BUCKET);
    // the sweep's one pool: the only consumer holding a message
    const pools: string[] = [];
    for await (const ci of (await jetstreamManager(nc)).consumers.list(JOBS_STREAM))
      if (ci.num_pending > 0) pools.push(ci.name);
    expect(pools).toHaveLength(1);
    const consumer = await js.consumers.get(JOBS_STREAM, pools[0]);
    const msg = await consumer.next({ expires: 5_000 });
    expect(msg).not.toBeNull();
    const job = decodeShard(msg!.data);
    const cells = job.shard.cells;
    expect(cells.length).toBe(sub.placements);
    const lost = cells[cells.length - 1]!;
    const now = new Date().toISOString();
    for (const cell of cells) {
      await done.put(doneKey(sub.sweepId, cell.cellId, undefined), "loser");
      if (cell === lost) continue;
      const result: CellResult = {
        sweepId: sub.sweepId,
        cellId: cell.cellId,
        hostId: "loser",
        shardId: job.shard.shardId,
        attempt: 1,
        engine: "in-process",
        outcome: { status: "ok", metrics: { nDecoded: 4, decodeMs: 1, decodeTps: 4000, wallMs: 1 } },
        startedAt: now,
        finishedAt: now,
      };
      await js.publish(resultsSubject(sub.sweepId), encodeCellResult(result), {
        msgID: resultMsgId(sub.sweepId, cell.cellId, undefined),
      });
    }
    await msg!.ackAck();
    await waitFor(
      async () => (await client.getSweep(sub.sweepId)).done === cells.length - 1,
      10_000,
      () => "the coordinator never counted the published results",
    );

    // a real agent that holds the models: it can only run the lost cell if the coordinator queues it again
    const models = await modelDirWith(dir, "runner", ["target", "draft-n0"]);
    agent = await startAgent({
      coordinator: createCoordinatorClient({ address: coordinator.address, token: TOKEN }),
      name: "runner",
      modelDirs: [models],
      engineName: "in-process",
      engine: new ZeroCostEngine(),
      logger: pino({ level: process.env.SPECGRID_TEST_LOG ?? "silent" }),
      slots: 1,
      skipGpuProbe: true,
      rescanMs: 0,
      drainTimeoutMs: 2_000,
    });

    let status = await client.getSweep(sub.sweepId);
    await waitFor(
      async () => {
        status = await client.getSweep(sub.sweepId);
        return status.state !== "running";
      },
      30_000,
      () => `sweep still ${status.state} at ${status.done}/${status.placementsTotal}`,
    );
    expect(status.state).toBe("done");
    const stored = await sweepResults(nats.url, sub.sweepId);
    const rerun = stored.filter((r) => r.cellId === lost.cellId);
    // the lost cell ran once more, on the agent that was given it again; the others were not run twice
    expect(rerun.map((r) => r.hostId)).toEqual(["runner"]);
    expect(stored.length).toBe(cells.length);
  }, 60_000);
});
