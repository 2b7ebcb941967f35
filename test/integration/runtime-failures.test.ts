// Failures mid-sweep: an agent SIGKILLed, the coordinator restarted, nats-server restarted on the same
// store. Each must end with every placement having exactly one non-failed result.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import type { SubmitSweepResponse } from "../../core/wire/generated.js";
import { RuntimeCluster, byPlacement, waitFor } from "./runtime-cluster.js";

describe("runtime failures", () => {
  let cluster: RuntimeCluster;

  beforeAll(async () => {
    cluster = await RuntimeCluster.start({ native: true, coordinatorProcess: true });
    await Promise.all([
      cluster.startAgent("alpha", ["target", "draft-n0"]),
      cluster.startAgent("beta", ["target", "draft-n0"]),
    ]);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  async function submitLong(name: string): Promise<SubmitSweepResponse> {
    const file = await cluster.writeManifest(name, {
      prompts: ["Once upon a time", "The quick brown fox"],
      sweep: { k: [1, 3], temperature: [0], n_predict: 24, repeats: 2, seed: 1 },
    });
    return cluster.client.submitSweep(await manifestForSubmit(file));
  }

  async function expectComplete(sub: SubmitSweepResponse): Promise<void> {
    const status = await cluster.waitForSweep(sub.sweepId, 120_000);
    expect(status.state).toBe("done");
    expect(status.done).toBe(sub.placements);
    const placements = byPlacement(await cluster.results(sub.sweepId), true);
    expect(placements.size).toBe(sub.placements);
    for (const rs of placements.values())
      expect(rs.filter((r) => r.outcome.status !== "failed")).toHaveLength(1);
  }

  async function waitProgress(sweepId: string, min: number): Promise<void> {
    await waitFor(
      async () => {
        const s = await cluster.client.getSweep(sweepId).catch(() => undefined);
        return (s?.done ?? 0) >= min && s?.state === "running";
      },
      60_000,
      () => `sweep ${sweepId} made no progress`,
    );
  }

  it("an agent SIGKILLed mid-shard: its shard is redelivered to the other agent; nothing lost or duplicated", async () => {
    const sub = await submitLong("kill-agent");
    const alpha = cluster.agents.find((a) => a.name === "alpha")!;
    // A shard of tiny-model cells takes ~100 ms, shorter than the status poll, so the sweep's host view can
    // miss it: alpha's own log saying it loaded models for this sweep counts too (kill it then).
    await waitFor(
      async () => {
        if (alpha.log().includes(`"sweep":"${sub.sweepId}"`)) return true;
        const s = await cluster.client.getSweep(sub.sweepId);
        return s.hosts.some((h) => h.hostId === "alpha" && h.currentShard !== undefined);
      },
      60_000,
      () => `alpha never ran a shard:\n${alpha.log().slice(-2000)}`,
    );
    await alpha.kill("SIGKILL");
    await expectComplete(sub);
  }, 180_000);

  it("the coordinator SIGKILLed and restarted mid-sweep: the sweep completes", async () => {
    await cluster.startAgent("gamma", ["target", "draft-n0"]);
    const sub = await submitLong("restart-coordinator");
    await waitProgress(sub.sweepId, 1);
    await cluster.killCoordinator();
    await cluster.spawnCoordinator();
    await expectComplete(sub);
  }, 180_000);

  it("nats-server restarted mid-sweep on the same store: everyone reconnects and the sweep completes", async () => {
    const sub = await submitLong("restart-nats");
    await waitProgress(sub.sweepId, 1);
    await cluster.nats.restart!();
    await expectComplete(sub);
  }, 180_000);
});
