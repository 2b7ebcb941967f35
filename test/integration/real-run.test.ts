// Opt-in (SPECGRID_LLAMA_BIN = a llama.cpp build's bin directory): `specgrid run --engine <CLI tool>
// --llama-bin DIR` end to end on one machine with the real binaries on the synthetic test family: every
// cell valid, the speculative cells on the engine's tool, the baselines on llama-completion from the same
// build. (The llama-server grid through the daemons is in real-sweep.test.ts.)
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { getModelFamily } from "../support/model-family.js";
import { describeRealLlama, realLlamaBin as bin } from "../support/real-llama.js";

const root = path.resolve(import.meta.dirname, "../..");
let dir: string;
let manifest: string;

beforeAll(async () => {
  if (!bin) return;
  dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-real-run-"));
  const models = path.join(dir, "models");
  await mkdir(models);
  const family = await getModelFamily();
  await copyFile(family.target, path.join(models, "target.gguf"));
  await copyFile(family.drafts.get(0.02)!, path.join(models, "draft.gguf"));
  manifest = path.join(dir, "small.yaml");
  await writeFile(
    manifest,
    [
      "name: real-run",
      "models: { target: { file: target.gguf }, draft: { file: draft.gguf } }",
      "pairs: [{ target: target, draft: draft }]",
      'prompts: ["The quick brown fox jumps over the lazy dog and"]',
      "sweep: { k: [2, 4], temperature: [0.1, 0.7], n_predict: 32, repeats: 1, seed: 7 }",
      "baseline: true",
      "engine: in-process",
      "llama: { gpu_layers: 0, ctx: 256, threads: 1 }",
    ].join("\n"),
  );
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describeRealLlama("specgrid run on a real llama.cpp build", () => {
  it.each(["llama-speculative-simple", "llama-speculative"])(
    "run --engine %s --llama-bin: every cell valid, baselines on llama-completion",
    (engine) => {
      const out = path.join(dir, engine);
      const res = spawnSync(
        process.execPath,
        [
          path.join(root, "bin/dev.js"),
          "run",
          manifest,
          "--engine",
          engine,
          "--llama-bin",
          bin!,
          "--out",
          out,
          "--json",
        ],
        // the flag alone names the build (with the variable set to the same path, source reads "env")
        { cwd: root, encoding: "utf8", timeout: 300_000, env: { ...process.env, SPECGRID_LLAMA_BIN: "" } },
      );
      expect(res.status, res.stderr.slice(-3000) + res.stdout.slice(-2000)).toBe(0);
      const result = JSON.parse(res.stdout) as {
        engine: string;
        llama: { bin_dir: string; source: string };
        status: { state: string; cells: { total: number; valid: number } };
        db: string;
      };
      expect(result.engine).toBe(engine);
      expect(result.llama).toEqual({ bin_dir: path.resolve(bin!), source: "flag" });
      expect(result.status.state).toBe("done");
      expect(result.status.cells.valid).toBe(result.status.cells.total);
      const db = new Database(result.db, { readonly: true });
      try {
        const rows = db
          .prepare(
            "select c.kind as kind, r.command as command from results r join cells c using (sweep_id, cell_id)",
          )
          .all() as { kind: string; command: string }[];
        const tool = (cmd: string): string => path.basename((JSON.parse(cmd) as string[])[0]!);
        expect(new Set(rows.filter((r) => r.kind === "speculative").map((r) => tool(r.command)))).toEqual(
          new Set([engine]),
        );
        expect(new Set(rows.filter((r) => r.kind === "baseline").map((r) => tool(r.command)))).toEqual(
          new Set(["llama-completion"]),
        );
      } finally {
        db.close();
      }
    },
    300_000,
  );
});
