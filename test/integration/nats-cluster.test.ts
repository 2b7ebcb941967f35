// specgrid on a 3-node JetStream cluster: streams and buckets replicated 3 ways, a sweep over two agents,
// and the NATS node the coordinator is connected to SIGKILLed mid-sweep and brought back on its store.
// Every client was given all three URLs, so it must fail over on its own; the sweep must still end with
// exactly one valid result per placement.
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import { openStore } from "../../cli/store/open-store.js";
import { pullResults } from "../../cli/workflows/pull-results.js";
import { natsLogin } from "../../core/nats-credentials.js";
import { EVENTS_STREAM, JOBS_STREAM, RESULTS_STREAM } from "../../core/nats-names.js";
import { setupJetStream } from "../../services/coordinator/jetstream-setup.js";
import { startTestNatsCluster, type TestNatsCluster } from "../support/nats-cluster.js";
import { RuntimeCluster, byPlacement, waitFor } from "./runtime-cluster.js";

const REPLICATED = [
  JOBS_STREAM,
  RESULTS_STREAM,
  EVENTS_STREAM,
  "KV_specgrid_sweeps",
  "KV_specgrid_agents",
  "KV_specgrid_done",
];

describe("clustered NATS", () => {
  let nats: TestNatsCluster;
  let rt: RuntimeCluster;

  beforeAll(async () => {
    nats = await startTestNatsCluster(3);
    // streams and buckets left by a single-replica setup: the coordinator must scale them to 3
    const nc = await connect({ servers: natsLogin(nats.url).servers });
    try {
      await setupJetStream(nc, await jetstreamManager(nc), 60_000, 1);
    } finally {
      await nc.close();
    }
    rt = await RuntimeCluster.start({ nats, replicas: 3, coordinatorProcess: true });
    await Promise.all([
      rt.startAgent("alpha", ["target", "draft-n0"]),
      rt.startAgent("beta", ["target", "draft-n0"]),
    ]);
  }, 90_000);

  afterAll(async () => {
    // rt.stop() stops the cluster it was handed; without rt the cluster is ours to stop
    if (rt) await rt.stop();
    else await nats?.stop();
  });

  it("scales every stream and KV bucket made with 1 replica to 3", async () => {
    const nc = await connect({ servers: natsLogin(nats.url).servers });
    try {
      const jsm = await jetstreamManager(nc);
      for (const stream of REPLICATED) {
        const info = await jsm.streams.info(stream);
        expect(info.config.num_replicas, stream).toBe(3);
        // the leader plus two followers: the data really lives on three servers
        expect(1 + (info.cluster?.replicas?.length ?? 0), stream).toBe(3);
      }
    } finally {
      await nc.close();
    }
  });

  it("a NATS node SIGKILLed mid-sweep and restarted: the sweep completes, nothing lost or duplicated", async () => {
    const file = await rt.writeManifest("nats-cluster", {
      prompts: ["Once upon a time", "The quick brown fox"],
      sweep: { k: [1, 3], temperature: [0], n_predict: 24, repeats: 2, seed: 1 },
    });
    const sub = await rt.client.submitSweep(await manifestForSubmit(file));
    await waitFor(
      async () => {
        const s = await rt.client.getSweep(sub.sweepId).catch(() => undefined);
        return (s?.done ?? 0) >= 1 && s?.state === "running";
      },
      60_000,
      () => `sweep ${sub.sweepId} made no progress`,
    );

    // kill the node the coordinator talks through, so at least one client must fail over
    const connections = await Promise.all(nats.nodes.map((n) => nats.connectionNames(n.name)));
    const victimIndex = Math.max(
      0,
      connections.findIndex((names) => names.includes("specgrid-coordinator")),
    );
    const victim = nats.nodes[victimIndex]!;
    const onVictim = connections[victimIndex] ?? [];
    const doneAtKill = (await rt.client.getSweep(sub.sweepId)).done;
    await nats.killNode(victim.name);
    console.log(
      `cluster: killed ${victim.name} at ${doneAtKill}/${sub.placements} placements; ` +
        `clients on it: ${onVictim.join(", ") || "none"}`,
    );

    // the sweep must move on while the node is down (two of three nodes keep the quorum)
    await waitFor(
      async () => {
        const s = await rt.client.getSweep(sub.sweepId).catch(() => undefined);
        return (s?.done ?? 0) > doneAtKill || s?.state !== "running";
      },
      45_000,
      () =>
        `sweep ${sub.sweepId} stalled after ${victim.name} was killed\n--- coordinator\n` +
        `${rt.coordinatorLog.slice(-3000)}\n` +
        rt.agents.map((a) => `--- ${a.name}\n${a.log().slice(-3000)}`).join("\n"),
    );
    await nats.restartNode(victim.name);

    const status = await rt.waitForSweep(sub.sweepId, 60_000);
    const results = await rt.results(sub.sweepId);
    const placements = byPlacement(results, true);
    const expected = sub.placements;
    const valid = [...placements.values()].filter(
      (rs) => rs.filter((r) => r.outcome.status === "ok").length === 1,
    ).length;
    const duplicated = [...placements.values()].filter(
      (rs) => rs.filter((r) => r.outcome.status !== "failed").length > 1,
    ).length;
    const lost = expected - placements.size;
    console.log(
      `cluster: expected ${expected}, valid ${valid}, duplicated ${duplicated}, lost ${lost} ` +
        `(result messages ${results.length}, sweep ${status.state})`,
    );
    // results the coordinator found missing from the stream at completion and published again
    const restored = rt.coordinatorLog.split("result restored to the stream").length - 1;
    console.log(`cluster: coordinator restored ${restored} result(s) before calling the sweep done`);
    if (lost > 0 || duplicated > 0) {
      // what each node holds, and what the coordinator said: enough to tell a lost message from a bad read
      console.log(
        `cluster: ${RESULTS_STREAM} per node:\n  ${(await nats.streamStates(RESULTS_STREAM)).join("\n  ")}`,
      );
      console.log(`--- coordinator\n${rt.coordinatorLog.slice(-6000)}`);
    }
    expect(status.state).toBe("done");
    expect(status.done).toBe(expected);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(valid).toBe(expected);

    // the restarted node rejoins: every node answers JetStream again
    await nats.waitReady(30_000);

    // `results pull --nats a,b,c` reads the replicated stream through the whole list
    const store = openStore(path.join(rt.dir, "pull.sqlite"));
    try {
      const summary = await pullResults({
        natsServers: nats.url,
        store,
        sweepId: sub.sweepId,
        idleMs: 1_000,
      });
      console.log(`cluster: results pull received ${summary.received}, inserted ${summary.inserted}`);
      expect(summary.received).toBe(results.length);
    } finally {
      store.close();
    }
  }, 150_000);
});
