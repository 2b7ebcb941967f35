// The distributed runtime end to end: real nats-server, real gRPC, agents as real processes running the
// in-process engine on tiny models.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestForSubmit } from "../../cli/runtime/manifest-for-submit.js";
import { RuntimeCluster, byPlacement } from "./runtime-cluster.js";

describe("runtime: two agents", () => {
  let cluster: RuntimeCluster;

  beforeAll(async () => {
    cluster = await RuntimeCluster.start();
    await Promise.all([
      cluster.startAgent("alpha", ["target", "draft-n0", "draft-n0.02"]),
      cluster.startAgent("beta", ["target", "draft-n0"]),
    ]);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("spread runs each cell once, on some eligible host; every-host runs it on each", async () => {
    const spreadFile = await cluster.writeManifest("spread", {
      sweep: { k: [1, 2], temperature: [0], n_predict: 8, repeats: 1, seed: 1 },
    });
    const everyFile = await cluster.writeManifest("every", { placement: "every-host" });
    const spread = await cluster.client.submitSweep(await manifestForSubmit(spreadFile));
    const every = await cluster.client.submitSweep(await manifestForSubmit(everyFile));
    expect(spread.placements).toBe(spread.cells);
    expect(every.placements).toBe(every.cells * 2);

    for (const [sub, isSpread] of [
      [spread, true],
      [every, false],
    ] as const) {
      const status = await cluster.waitForSweep(sub.sweepId);
      expect(status.state).toBe("done");
      expect(status.done).toBe(sub.placements);
      const results = await cluster.results(sub.sweepId);
      const placements = byPlacement(results, isSpread);
      expect(placements.size).toBe(sub.placements);
      for (const rs of placements.values()) {
        expect(rs.filter((r) => r.outcome.status !== "failed")).toHaveLength(1);
      }
      if (!isSpread) {
        expect(new Set(results.map((r) => r.hostId))).toEqual(new Set(["alpha", "beta"]));
      }
    }
  }, 120_000);

  it("an agent without a pair's models never receives its shards", async () => {
    const file = await cluster.writeManifest("only-alpha", {
      pairs: [{ target: "target", draft: "draft-n0.02" }],
      baseline: false,
      sweep: { k: [1, 2, 3], temperature: [0], n_predict: 8, repeats: 1, seed: 1 },
    });
    const sub = await cluster.client.submitSweep(await manifestForSubmit(file));
    const status = await cluster.waitForSweep(sub.sweepId);
    expect(status.state).toBe("done");
    const results = await cluster.results(sub.sweepId);
    expect(results.length).toBeGreaterThan(0);
    expect(new Set(results.map((r) => r.hostId))).toEqual(new Set(["alpha"]));
  }, 120_000);
});
