// An agent holds every incoming cell to its own limits, whatever the coordinator sends: a cell outside them is
// recorded failed with reason rejected-parameter and never reaches the engine.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import { RuntimeCluster } from "./runtime-cluster.js";

describe("agent cell limits", () => {
  let cluster: RuntimeCluster;

  beforeAll(async () => {
    cluster = await RuntimeCluster.start();
    await cluster.startAgent("limited", ["target", "draft-n0"], ["--max-n-predict", "6", "--max-k", "2"]);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("refuses cells above --max-n-predict / --max-k and runs the ones inside them", async () => {
    const file = await cluster.writeManifest("limits", {
      sweep: { k: [1, 3], temperature: [0], n_predict: 6, repeats: 1, seed: 1 },
    });
    const sub = await cluster.client.submitSweep(await manifestForSubmit(file));
    const status = await cluster.waitForSweep(sub.sweepId, 90_000);
    expect(status.done).toBe(sub.placements);
    const results = await cluster.results(sub.sweepId);
    expect(results).toHaveLength(sub.placements);
    const rejected = results.filter((r) => r.outcome.invalidReason === "rejected-parameter");
    const ran = results.filter((r) => r.outcome.status === "ok");
    // K = 3 cells exceed --max-k 2; baseline and K = 1 cells are inside every limit
    expect(rejected.length).toBeGreaterThan(0);
    expect(ran.length).toBeGreaterThan(0);
    expect(rejected.length + ran.length).toBe(results.length);
    for (const r of rejected) {
      expect(r.outcome.status).toBe("failed");
      expect(r.outcome.metrics).toBeUndefined();
      expect(r.outcome.message).toMatch(/refused by this agent: .*k/i);
    }
  }, 120_000);

  it("refuses every cell of a sweep asking for more tokens than --max-n-predict", async () => {
    const file = await cluster.writeManifest("limits-n", {
      sweep: { k: [1], temperature: [0], n_predict: 12, repeats: 1, seed: 2 },
    });
    const sub = await cluster.client.submitSweep(await manifestForSubmit(file));
    const status = await cluster.waitForSweep(sub.sweepId, 90_000);
    expect(status.state).toBe("failed");
    const results = await cluster.results(sub.sweepId);
    expect(results).toHaveLength(sub.placements);
    for (const r of results) {
      expect(r.outcome).toMatchObject({ status: "failed", invalidReason: "rejected-parameter" });
      expect(r.outcome.message).toMatch(/nPredict|n_predict/);
    }
  }, 120_000);
});
