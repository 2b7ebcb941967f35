// A sweep whose record is larger than nats-server's default max_payload (1 MiB) and grpc's default message
// size (4 MiB): it is stored in pieces, survives a coordinator restart byte for byte (multi-byte prompts split
// across pieces included), and GetSweep returns it whole.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256File } from "../../agents/probe/sha256-cache.js";
import { coordinatorPlanning } from "../../services/coordinator/coordinator-planning.js";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import { createCoordinatorClient, type CoordinatorClient } from "../../core/wire/coordinator-client.js";
import { startCoordinator, type RunningCoordinator } from "../../services/coordinator/start-coordinator.js";
import { registerHolder } from "./runtime-cluster.js";
import { getModelFamily } from "../support/model-family.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";

describe("a sweep larger than one NATS message", () => {
  let dir: string;
  let nats: TestNats;
  let coordinator: RunningCoordinator | undefined;
  let client: CoordinatorClient | undefined;

  const start = async (): Promise<CoordinatorClient> => {
    coordinator = await startCoordinator({
      listen: "127.0.0.1:0",
      natsUrl: nats.url,
      token: "t",
      logger: pino({ level: "silent" }),
      heartbeatMs: 60_000,
      ...coordinatorPlanning(),
    });
    client = createCoordinatorClient({ address: coordinator.address, token: "t" });
    return client;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-large-"));
    nats = await startTestNats();
  });

  afterAll(async () => {
    client?.close();
    await coordinator?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("is stored in pieces, reloads after a restart, and GetSweep returns every shard", async () => {
    const family = await getModelFamily();
    const [t, d] = [await sha256File(family.target), await sha256File(family.drafts.get(0)!)];
    const c1 = await start();
    await registerHolder(c1, "holder", [
      { file: "target.gguf", sha256: t },
      { file: "draft.gguf", sha256: d },
    ]);
    // 40 prompts of ~3 KB with multi-byte characters × 4 K × 3 temperatures × 3 repeats: about 6 MB of shards
    const prompts = Array.from({ length: 40 }, (_, i) => `prompt ${i} ${"héllo wörld ✓ 🚀 ".repeat(160)}`);
    const manifest = path.join(dir, "large.yaml");
    await writeFile(
      manifest,
      JSON.stringify({
        name: "large",
        models: { target: { file: "target.gguf" }, draft: { file: "draft.gguf" } },
        pairs: [{ target: "target", draft: "draft" }],
        prompts,
        sweep: { k: [1, 2, 3, 4], temperature: [0, 0.5, 1], n_predict: 8, repeats: 3 },
        engine: "in-process",
      }),
    );
    const sub = await c1.submitSweep(await manifestForSubmit(manifest));
    // 4 speculative cells per (prompt, temperature, repeat), each with its own paired baseline (ABAB)
    expect(sub.cells).toBe(40 * 3 * 3 * (4 + 4));
    const before = await c1.getSweep(sub.sweepId);
    const bytes = before.shards.reduce((n, s) => n + JSON.stringify(s).length, 0);
    expect(bytes).toBeGreaterThan(4 * 1024 * 1024);

    client?.close();
    await coordinator?.stop();
    const c2 = await start();
    const after = await c2.getSweep(sub.sweepId);
    expect(after.shards.length).toBe(before.shards.length);
    expect(after.shards.flatMap((s) => s.cells.map((c) => c.cellId))).toEqual(
      before.shards.flatMap((s) => s.cells.map((c) => c.cellId)),
    );
    const prompt = after.shards[0]!.cells[0]!.prompt;
    expect(prompts).toContain(prompt);
  }, 90_000);
});
