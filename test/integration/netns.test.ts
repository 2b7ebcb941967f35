// Agents as separate hosts: each agent runs in its own network namespace and reaches NATS and the coordinator
// over a veth link. (a) A link cut mid-shard: heartbeats stop, the shard is redelivered after ack_wait and the
// sweep completes elsewhere; when the link returns, the stale agent's late results are not counted twice.
// (b) An every-host sweep over three hosts with different labels and model sets runs each cell on exactly the
// hosts that hold its models. Skipped only where a network namespace cannot be created.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import type { Manifest } from "../../core/manifest/manifest.js";
import { planSweep } from "../../core/plan/plan-sweep.js";
import type { ModelRef, Shard } from "../../core/cell.js";
import type { SweepStatus } from "../../core/wire/generated.js";
import { probeNetns } from "../support/netns.js";
import { NetnsCluster, tallyPlacements, type NetnsAgent } from "./netns-cluster.js";
import { byPlacement, waitFor } from "./runtime-cluster.js";

const cannotNetns = await probeNetns();
if (cannotNetns !== undefined)
  process.stderr.write(`[netns] SKIPPING network-namespace tests: ${cannotNetns}\n`);

async function writeManifest(
  cluster: NetnsCluster,
  name: string,
  body: Record<string, unknown>,
): Promise<string> {
  const file = path.join(cluster.dir, `${name}.json`);
  const manifest = {
    name,
    models: {
      target: { file: "target.gguf" },
      "draft-n0": { file: "draft-n0.gguf" },
      "draft-n0.02": { file: "draft-n0.02.gguf" },
    },
    pairs: [{ target: "target", draft: "draft-n0" }],
    prompts: ["Once upon a time"],
    sweep: { k: [2], temperature: [0], n_predict: 8, repeats: 1, seed: 1 },
    baseline: true,
    placement: "spread",
    engine: "in-process",
    llama: { gpu_layers: 0, ctx: 256, threads: 1 },
    ...body,
  };
  await writeFile(file, JSON.stringify(manifest, null, 2)); // JSON is YAML
  return file;
}

/** The coordinator's shards, replanned from the resolved manifest it returns (planning is deterministic). */
function plannedShards(status: SweepStatus): Shard[] {
  return planSweep(JSON.parse(status.manifestResolvedJson) as Manifest).shards;
}

/** Hosts (by name) whose inventory holds every given model, by sha256. */
function holders(held: Map<string, Set<string>>, models: (ModelRef | undefined)[]): string[] {
  return [...held]
    .filter(([, shas]) => models.every((m) => m === undefined || shas.has(m.sha256 ?? "")))
    .map(([host]) => host);
}

function report(test: string, figures: object): void {
  process.stderr.write(`[netns] ${test}: ${JSON.stringify(figures)}\n`);
}

describe.skipIf(cannotNetns !== undefined)("agents in network namespaces: a link goes down mid-shard", () => {
  let cluster: NetnsCluster;

  beforeAll(async () => {
    cluster = await NetnsCluster.start();
    await Promise.all([
      cluster.startAgent("alpha", ["target", "draft-n0"]),
      cluster.startAgent("beta", ["target", "draft-n0"]),
    ]);
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  it("heartbeats stop, the shard is redelivered after ack_wait, late results are not double-counted", async () => {
    // one shard of many cells (default shard sizing), long enough to be cut in the middle
    const file = await writeManifest(cluster, "link-down", {
      prompts: ["Once upon a time", "The quick brown fox"],
      sweep: { k: [1, 2, 3], temperature: [0], n_predict: 48, repeats: 2, seed: 1 },
    });
    const sub = await cluster.client.submitSweep(await manifestForSubmit(file));

    let cut: { agent: NetnsAgent; shard: string; doneAtCut: number } | undefined;
    await waitFor(
      async () => {
        const s = await cluster.client.getSweep(sub.sweepId);
        const h = s.hosts.find((x) => x.currentShard !== undefined);
        const agent = cluster.agents.find((a) => a.name === h?.name);
        if (!agent || !h?.currentShard || s.done < 1 || s.done >= sub.placements) return false;
        cut = { agent, shard: h.currentShard, doneAtCut: s.done };
        return true;
      },
      60_000,
      () => `no agent was ever mid-shard:\n${cluster.agents.map((a) => a.log().slice(-1500)).join("\n")}`,
    );
    const { agent: stale, shard, doneAtCut } = cut!;
    await cluster.lab.setLink(stale.host, false);
    const cutAt = Date.now();

    // its heartbeats stop: the coordinator declares it dead after the liveness period
    await waitFor(
      async () => !(await cluster.isAlive(stale.name)),
      15_000,
      () => `${stale.name} still alive`,
    );
    const deadAfterMs = Date.now() - cutAt;

    const status = await waitForEnd(cluster, sub.sweepId);
    const completedAfterMs = Date.now() - cutAt;
    expect(status.state).toBe("done");

    // the link returns: the stale agent heartbeats again and flushes whatever it had buffered
    await cluster.lab.setLink(stale.host, true);
    const upAt = Date.now();
    await waitFor(
      () => cluster.isAlive(stale.name),
      30_000,
      () => `${stale.name} never came back`,
    );
    const aliveAgainAfterMs = Date.now() - upAt;
    await new Promise((r) => setTimeout(r, 3 * 2000)); // a few ack_waits for late publishes to land

    const after = await cluster.client.getSweep(sub.sweepId);
    const results = await cluster.results(sub.sweepId);
    const cellIds = plannedShards(after).flatMap((sh) => sh.cells.map((c) => c.cellId));
    const tally = tallyPlacements(cellIds, byPlacement(results, true));
    const other = cluster.agents.find((a) => a !== stale)!;
    const byOther = results.filter((r) => r.shardId === shard && r.hostId === other.name);
    const redelivered = byOther.length;
    // when the other host started its first cell of the shard: ack_wait after the last working() got through
    const takenOverAfterMs = Math.min(...byOther.map((r) => Date.parse(r.startedAt))) - cutAt;
    report("link down mid-shard", {
      cells_expected: tally.expected,
      valid: tally.valid,
      duplicated: tally.duplicated,
      lost: tally.lost,
      result_messages: tally.messages,
      cut_agent: stale.name,
      done_at_cut: doneAtCut,
      cells_of_cut_shard_run_by_other: redelivered,
      other_started_shard_after_cut_ms: redelivered > 0 ? takenOverAfterMs : null,
      cells_finished_by_cut_agent_after_cut: finishedAfterCut(stale, shard, cutAt),
      results_from_cut_agent: results.filter((r) => r.hostId === stale.name).length,
      declared_dead_after_ms: deadAfterMs,
      sweep_done_after_ms: completedAfterMs,
      alive_again_after_ms: aliveAgainAfterMs,
    });
    if (process.env.SPECGRID_NETNS_DEBUG)
      process.stderr.write(`--- ${stale.name}\n${stale.log().slice(-6000)}\n`);

    expect(cellIds).toHaveLength(sub.cells);
    expect(tally).toMatchObject({ valid: sub.placements, duplicated: 0, lost: 0 });
    // the shard really moved: the other host finished cells of the shard the cut host held
    expect(redelivered).toBeGreaterThan(0);
    // the coordinator's counts did not grow when the stale host came back
    expect(after.state).toBe("done");
    expect(after.done).toBe(sub.placements);
    expect(after.hosts.reduce((n, h) => n + h.done, 0)).toBe(sub.placements);
  }, 120_000);
});

describe.skipIf(cannotNetns !== undefined)(
  "agents in network namespaces: every-host over three hosts",
  () => {
    let cluster: NetnsCluster;
    const fleet = [
      { name: "host-a", models: ["target", "draft-n0"], labels: { rack: "1", tier: "small" } },
      { name: "host-b", models: ["target", "draft-n0.02"], labels: { rack: "2", tier: "small" } },
      { name: "host-c", models: ["target", "draft-n0", "draft-n0.02"], labels: { rack: "3", tier: "big" } },
    ];

    beforeAll(async () => {
      cluster = await NetnsCluster.start();
      await Promise.all(fleet.map((h) => cluster.startAgent(h.name, h.models, h.labels)));
    }, 90_000);

    afterAll(async () => {
      await cluster?.stop();
    }, 30_000);

    it("runs each cell on exactly the hosts holding its models", async () => {
      const agents = await cluster.client.listAgents();
      for (const h of fleet) expect(agents.find((a) => a.name === h.name)?.host?.labels).toEqual(h.labels);

      const file = await writeManifest(cluster, "every-host", {
        pairs: [
          { target: "target", draft: "draft-n0" },
          { target: "target", draft: "draft-n0.02" },
        ],
        placement: "every-host",
      });
      const sub = await cluster.client.submitSweep(await manifestForSubmit(file));
      const status = await waitForEnd(cluster, sub.sweepId);
      expect(status.state).toBe("done");

      // A shard goes to every host holding all of its models (the shard key's target and draft), and each of
      // its cells must come back from exactly those hosts. Baseline cells ride in the first pair's shards, so a
      // host holding the target but not that pair's draft runs no baseline: counted below as runnable_not_placed.
      const held = new Map(agents.map((a) => [a.name, new Set(a.inventory?.models.map((m) => m.sha256))]));
      const shards = plannedShards(status);
      const expectedKeys = shards.flatMap((sh) =>
        holders(held, [sh.key.target, sh.key.draft]).flatMap((host) =>
          sh.cells.map((c) => `${c.cellId}|${host}`),
        ),
      );
      const cells = shards.flatMap((sh) => sh.cells);
      const runnableNotPlaced =
        cells.reduce((n, c) => n + holders(held, [c.target, c.draft]).length, 0) - expectedKeys.length;
      const results = await cluster.results(sub.sweepId);
      const placements = byPlacement(results, false);
      const tally = tallyPlacements(expectedKeys, placements);
      const expectedSet = new Set(expectedKeys);
      const misplaced = [...placements.keys()].filter((k) => !expectedSet.has(k)).length;
      const perHost = Object.fromEntries(
        fleet.map((h) => [h.name, results.filter((r) => r.hostId === h.name).length]),
      );
      report("every-host over three hosts", {
        cells: cells.length,
        cells_expected: tally.expected,
        valid: tally.valid,
        duplicated: tally.duplicated,
        lost: tally.lost,
        misplaced,
        runnable_not_placed: runnableNotPlaced,
        results_per_host: perHost,
      });

      expect(expectedKeys).toHaveLength(sub.placements);
      expect(tally).toMatchObject({ valid: sub.placements, duplicated: 0, lost: 0 });
      expect(misplaced).toBe(0);
      // every host ran something; only host-c holds both drafts, so only it ran every cell
      for (const h of fleet) expect(perHost[h.name]).toBeGreaterThan(0);
      expect(perHost["host-c"]).toBe(cells.length);
    }, 90_000);
  },
);

async function waitForEnd(cluster: NetnsCluster, sweepId: string): Promise<SweepStatus> {
  let last: SweepStatus | undefined;
  await waitFor(
    async () => {
      last = await cluster.client.getSweep(sweepId);
      return last.state !== "running";
    },
    60_000,
    () =>
      `sweep ${sweepId} still ${last?.state} (${last?.done}/${last?.placementsTotal})\n` +
      cluster.agents.map((a) => `--- ${a.name}\n${a.log().slice(-2000)}`).join("\n"),
  );
  return last!;
}

/** "cell done" log lines of the agent for the shard, timestamped after the cut: the late results it sent. */
function finishedAfterCut(agent: NetnsAgent, shard: string, cutAt: number): number {
  let n = 0;
  for (const line of agent.log().split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const l = JSON.parse(line) as { time?: number; shard?: string; msg?: string };
      if (l.msg === "cell done" && l.shard === shard && (l.time ?? 0) > cutAt) n++;
    } catch {
      // a line still being written
    }
  }
  return n;
}
