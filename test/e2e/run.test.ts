// `specgrid run` as a user runs it: a child process that starts nats-server, the coordinator and two
// agents, runs a small sweep on the synthetic family, stores results in SQLite and writes the report.
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { getModelFamily } from "../support/model-family.js";

const root = path.resolve(import.meta.dirname, "../..");

describe("specgrid run (embedded)", () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs every cell over two local agents, stores the results and writes the report", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-run-e2e-"));
    const family = await getModelFamily();
    const models = path.join(dir, "models");
    await mkdir(models);
    await copyFile(family.target, path.join(models, "target.gguf"));
    await copyFile(family.drafts.get(0)!, path.join(models, "draft-n0.gguf"));
    const manifest = path.join(dir, "tiny.yaml");
    await writeFile(
      manifest,
      [
        "name: tiny",
        "models: { target: { file: target.gguf }, draft: { file: draft-n0.gguf } }",
        "pairs: [{ target: target, draft: draft }]",
        "prompts: [Once upon a time, The quick brown fox]",
        "sweep: { k: [1, 2], temperature: [0], n_predict: 12, repeats: 2, seed: 3 }",
        "engine: in-process",
        "llama: { gpu_layers: 0, ctx: 256, threads: 1 }",
        "estimate: { decode_tps: 150, speculative_factor: 0.5, load_ms: 300 }",
      ].join("\n"),
    );
    const out = path.join(dir, "out");
    const res = spawnSync(
      process.execPath,
      [
        path.join(root, "bin/dev.js"),
        "run",
        manifest,
        "--agents",
        "2",
        "--models",
        models,
        "--out",
        out,
        "--json",
      ],
      { cwd: root, encoding: "utf8", timeout: 150_000, env: { ...process.env, NODE_ENV: "development" } },
    );
    expect(res.status, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout) as {
      status: { state: string; cells: { total: number; valid: number; done: number } };
      results_stored: number;
      report_files: string[];
      db: string;
    };
    expect(result.status.state).toBe("done");
    expect(result.status.cells.done).toBe(result.status.cells.total);
    expect(result.results_stored).toBe(result.status.cells.total);
    expect(existsSync(result.db)).toBe(true);
    expect(result.report_files.some((f) => f.endsWith("report.md"))).toBe(true);
  }, 180_000);
});
