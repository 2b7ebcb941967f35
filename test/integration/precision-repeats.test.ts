// Adaptive repeats through the daemons (coordinator, one agent, in-process engine on the synthetic family):
// a precision no run can meet adds repeats up to max_repeats, each with its ABAB baselines and its own
// seed; a cap already reached adds none. (Whether a loose rel_ci is met depends on the host: contended runs
// never count, and on a busy machine every run is contended; test/unit/precision-round.test.ts covers it.)
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine } from "../../agents/engines/create-engine.js";
import { startDaemonStack, type DaemonStack } from "../support/daemon-stack.js";
import { getModelFamily } from "../support/model-family.js";

let dir: string;
let modelDir: string;
let stack: DaemonStack;

async function manifest(name: string, precision: { rel_ci: number; max_repeats: number }): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  await writeFile(
    file,
    JSON.stringify({
      name,
      models: { target: { file: "target.gguf" }, draft: { file: "draft.gguf" } },
      pairs: [{ target: "target", draft: "draft" }],
      prompts: ["The quick brown fox jumps over the lazy dog and"],
      sweep: { k: [2], temperature: [0], n_predict: 16, repeats: 2, seed: 11, precision },
      baseline: true,
      engine: "in-process",
      llama: { gpu_layers: 0, ctx: 256, threads: 1 },
    }),
  );
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-precision-"));
  modelDir = path.join(dir, "models");
  await mkdir(modelDir);
  const family = await getModelFamily();
  await copyFile(family.target, path.join(modelDir, "target.gguf"));
  await copyFile(family.drafts.get(0.02)!, path.join(modelDir, "draft.gguf"));
  stack = await startDaemonStack({
    engine: await createEngine("in-process", { inProcess: { gpu: "cpu" } }),
    engineName: "in-process",
    modelDirs: [modelDir],
  });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("sweep.precision through the daemons", () => {
  it("adds repeats to a group wider than rel_ci until max_repeats, then ends the sweep", async () => {
    const run = await stack.runSweep(await manifest("tight", { rel_ci: 1e-9, max_repeats: 4 }), 120_000);
    expect(run.status.state).toBe("done");
    const cells = run.results.map((r) => r.outcome);
    expect(cells.every((o) => o.status === "ok")).toBe(true);
    // 2 planned repeats + 2 added, each a (baseline, speculative) unit
    expect(run.results).toHaveLength(8);
    expect(run.status.placementsTotal).toBe(8);
    const seeds = new Set(run.status.shards.flatMap((s) => s.cells.map((c) => `${c.repeat}:${c.seed}`)));
    expect(seeds).toEqual(new Set(["0:11", "1:12", "2:13", "3:14"]));
  }, 180_000);

  it("adds none when the planned repeats are already max_repeats", async () => {
    const run = await stack.runSweep(await manifest("capped", { rel_ci: 1e-9, max_repeats: 2 }), 120_000);
    expect(run.status.state).toBe("done");
    expect(run.results).toHaveLength(4);
  }, 180_000);
});
