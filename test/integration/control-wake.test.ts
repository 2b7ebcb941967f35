// A submitted sweep reaches an idle agent at once, not at its next heartbeat: the coordinator announces the
// submit on CONTROL_SUBJECT and the agent heartbeats on it, learning the sweep's pool. With a 10-minute
// heartbeat, a sweep of zero-cost cells ends in seconds only if that announcement works; without it the
// agent would learn the pool 10 minutes later and the test would time out. And the agent's one slot, held
// by a pull waiting on a pool with nothing in it (its own host pool, or the last sweep's), is let go for
// the new pool: pulls here wait 60 s, so a sweep that ends in seconds did not wait one out.
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZeroCostEngine } from "../bench/zero-cost-engine.js";
import { startDaemonStack, type DaemonStack } from "../support/daemon-stack.js";
import { getModelFamily } from "../support/model-family.js";

const HEARTBEAT_MS = 600_000;

describe("coordinator announces submits", () => {
  let dir: string;
  let stack: DaemonStack;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-wake-"));
    const family = await getModelFamily();
    await copyFile(family.target, path.join(dir, "target.gguf"));
    await copyFile(family.drafts.get(0)!, path.join(dir, "draft.gguf"));
    stack = await startDaemonStack({
      engine: new ZeroCostEngine(),
      engineName: "in-process",
      modelDirs: [dir],
      heartbeatMs: HEARTBEAT_MS,
      pullExpiresMs: 60_000,
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("an idle agent starts a new sweep long before its next heartbeat", async () => {
    const manifest = path.join(dir, "m.yaml");
    await writeFile(
      manifest,
      [
        "name: wake",
        "models: { target: { file: target.gguf }, draft: { file: draft.gguf } }",
        "pairs: [{ target: target, draft: draft }]",
        "prompts: [Once upon a time]",
        "sweep: { k: [2, 4], temperature: [0], n_predict: 8, repeats: 1, seed: 1 }",
        "engine: in-process",
      ].join("\n"),
    );
    // twice: the second submit arrives while the agent sleeps after pulling the first sweep's pool
    for (const _ of [1, 2]) {
      const run = await stack.runSweep(manifest, 60_000);
      expect(run.status.state).toBe("done");
      expect(run.results).toHaveLength(run.status.placementsTotal);
      expect(run.wallMs).toBeLessThan(30_000);
    }
  }, 150_000);
});
