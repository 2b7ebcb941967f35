// The distributed runtime end to end: real nats-server, real gRPC, agents as real processes running the
// in-process engine on tiny models.
import { runCommand } from "@oclif/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpecgridError } from "../../core/errors.js";
import { createCoordinatorClient } from "../../core/wire/coordinator-client.js";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import { RuntimeCluster, TOKEN, byPlacement } from "./runtime-cluster.js";

describe("runtime: two agents", () => {
  let cluster: RuntimeCluster;

  beforeAll(async () => {
    cluster = await RuntimeCluster.start();
    await Promise.all([
      cluster.startAgent("alpha", ["target", "draft-n0", "draft-n0.02", "vocab-mismatch"]),
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

  it("refuses at submit a sweep whose models no live agent holds, naming the model", async () => {
    const file = await cluster.writeManifest("nobody", {
      models: { target: { file: "target.gguf" }, "draft-n0.2": { file: "draft-n0.2.gguf" } },
      pairs: [{ target: "target", draft: "draft-n0.2" }],
    });
    const before = (await cluster.client.listSweeps()).length;
    const err = await cluster.client.submitSweep(await manifestForSubmit(file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecgridError);
    expect((err as SpecgridError).code).toBe("MODEL_NOT_FOUND");
    expect((err as SpecgridError).message).toMatch(/draft-n0\.2.*held by no live agent.*alpha/);
    expect(await cluster.client.listSweeps()).toHaveLength(before);
  });

  it.each([
    ["missing", ""],
    ["wrong", "not-the-token"],
  ])("a %s token is refused and nothing is registered or submitted", async (_what, token) => {
    const bad = createCoordinatorClient({ address: `127.0.0.1:${cluster.port}`, token });
    try {
      const agentsBefore = await cluster.client.listAgents();
      const sweepsBefore = await cluster.client.listSweeps();
      const reg = await bad.register({ name: "intruder", slots: 1 }).catch((e: unknown) => e);
      expect((reg as SpecgridError).code).toBe("UNAUTHENTICATED");
      const file = await cluster.writeManifest("intruder", {});
      const sub = await bad.submitSweep(await manifestForSubmit(file)).catch((e: unknown) => e);
      expect((sub as SpecgridError).code).toBe("UNAUTHENTICATED");
      expect((await bad.listAgents().catch((e: unknown) => e)) as SpecgridError).toMatchObject({
        code: "UNAUTHENTICATED",
      });
      expect((await cluster.client.listAgents()).map((a) => a.name)).toEqual(agentsBefore.map((a) => a.name));
      expect(await cluster.client.listSweeps()).toHaveLength(sweepsBefore.length);
    } finally {
      bad.close();
    }
  });

  it("CLI: sweep submit/status/list, agents list and sweep cancel give typed --json", async () => {
    const conn = ["--coordinator", `127.0.0.1:${cluster.port}`, "--token", TOKEN];
    const file = await cluster.writeManifest("cli", {
      sweep: { k: [1, 2, 3, 4], temperature: [0, 0.5], n_predict: 16, repeats: 2, seed: 1 },
    });
    const submitted = await runCommand<{ sweep_id: string; cells: number; placements: number }>([
      "sweep",
      "submit",
      file,
      ...conn,
      "--json",
    ]);
    expect(submitted.error).toBeUndefined();
    const sweepId = submitted.result!.sweep_id;
    expect(sweepId).toMatch(/^cli-/);
    expect(JSON.parse(submitted.stdout)).toMatchObject({ sweep_id: sweepId });

    const agents = await runCommand<{ agents: { name: string; alive: boolean; models: unknown[] }[] }>([
      "agents",
      "list",
      ...conn,
      "--json",
    ]);
    expect(
      agents
        .result!.agents.filter((a) => a.alive)
        .map((a) => a.name)
        .sort(),
    ).toEqual(["alpha", "beta"]);

    const cancelled = await runCommand<{ state: string }>(["sweep", "cancel", sweepId, ...conn, "--json"]);
    expect(cancelled.result!.state).toBe("cancelled");
    const status = await runCommand<{ state: string; cells: { total: number; done: number } }>([
      "sweep",
      "status",
      sweepId,
      ...conn,
      "--json",
    ]);
    expect(status.result).toMatchObject({ sweep_id: sweepId, state: "cancelled" });
    expect(status.result!.cells.total).toBe(submitted.result!.placements);
    const listed = await runCommand<{ sweeps: { sweep_id: string; state: string }[] }>([
      "sweep",
      "list",
      ...conn,
      "--json",
    ]);
    expect(listed.result!.sweeps.find((s) => s.sweep_id === sweepId)?.state).toBe("cancelled");

    const watched = await runCommand<{ state: string }>(["sweep", "watch", sweepId, ...conn, "--json"]);
    expect(watched.result).toMatchObject({ sweep_id: sweepId, state: "cancelled" });

    const small = await cluster.writeManifest("cli-watch", {});
    const followed = await runCommand<{
      sweep_id: string;
      final: { state: string; cells: { total: number; done: number } };
    }>(["sweep", "submit", small, ...conn, "--watch", "--json"]);
    expect(followed.result!.final.state).toBe("done");
    expect(followed.result!.final.cells.done).toBe(followed.result!.final.cells.total);

    const unknown = await runCommand(["sweep", "status", "no-such-sweep", ...conn]);
    expect(unknown.error?.message).toMatch(/no sweep "no-such-sweep"/);
    const noToken = await runCommand([
      "sweep",
      "list",
      "--coordinator",
      `127.0.0.1:${cluster.port}`,
      "--token=",
    ]);
    expect(noToken.error?.message).toMatch(/no token: set SPECGRID_TOKEN, or pass --token-file FILE/);
  }, 60_000);

  it("a shard that can never run (incompatible pair) fails at once: cells recorded failed, sweep failed", async () => {
    const file = await cluster.writeManifest("mismatch", {
      models: { target: { file: "target.gguf" }, bad: { file: "vocab-mismatch.gguf" } },
      pairs: [{ target: "target", draft: "bad" }],
      baseline: false,
    });
    const sub = await cluster.client.submitSweep(await manifestForSubmit(file));
    const status = await cluster.waitForSweep(sub.sweepId);
    expect(status.state).toBe("failed");
    const results = await cluster.results(sub.sweepId);
    expect(results).toHaveLength(sub.placements);
    for (const r of results) {
      expect(r.outcome).toMatchObject({ status: "failed", invalidReason: "vocab-mismatch" });
      expect(r.attempt).toBe(1);
    }
  }, 90_000);
});
