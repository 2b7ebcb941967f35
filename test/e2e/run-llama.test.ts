// `specgrid run --engine llama-server` as a user runs it, in a child process, on fake llama.cpp binaries
// that are real processes (test/support/replay-llama): with no build anywhere it says how to get one; with a
// build in `specgrid llama build`'s cache it uses that one unasked; with --llama-bin it uses the flag's. The
// manifest names the in-process engine, so --engine also has to replace it.
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binDirOf, buildDirFor, bundleCommit, llamaCacheRoot } from "../../cli/workflows/llama-build.js";
import { LLAMA_BUILD_TARGETS } from "../../core/llama-tools.js";
import { currentBuild, installReplayLlama, REPLAY_FIXTURES } from "../support/replay-llama.js";
import { getModelFamily } from "../support/model-family.js";

const root = path.resolve(import.meta.dirname, "../..");

interface RunJson {
  sweep_id: string;
  engine: string;
  llama?: { bin_dir: string; source: string; commit?: string; variant?: string };
  status: { state: string; cells: { total: number; valid: number; done: number } };
  results_stored: number;
}

/** Two speculative cells and their baselines (the planner decides how many baselines), all valid. */
function allValid(out: RunJson): void {
  const c = out.status.cells;
  expect(c.total).toBeGreaterThanOrEqual(3);
  expect(c.done).toBe(c.total);
  expect(c.valid).toBe(c.total);
  expect(out.results_stored).toBe(c.total);
}

let dir: string;
let models: string;
let manifest: string;

/** Fake tools for all eight names, the way `specgrid llama build` leaves them, plus its stamp. */
async function fakeBuild(binDir: string): Promise<void> {
  await mkdir(binDir, { recursive: true });
  const tools: Record<string, ReturnType<typeof currentBuild> & { server?: object }> = {};
  for (const tool of LLAMA_BUILD_TARGETS) {
    const own = existsSync(path.join(REPLAY_FIXTURES, `${tool}-help.txt`));
    tools[tool] = currentBuild(own ? tool : "llama-completion");
  }
  tools["llama-server"] = { ...currentBuild("llama-server"), server: { loadDelayMs: 50 } };
  await installReplayLlama(binDir, { tools });
}

function specgrid(args: string[], env: NodeJS.ProcessEnv): ReturnType<typeof spawnSync> {
  const clean: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "development", ...env };
  delete clean.SPECGRID_LLAMA_BIN;
  return spawnSync(process.execPath, [path.join(root, "bin/dev.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 150_000,
    env: clean,
  });
}

/** `specgrid run` of the tiny manifest with `--llama-bin bin` (which wins over the cached build), into `out`. */
function runWithFlag(bin: string, out: string): ReturnType<typeof spawnSync> {
  return specgrid(
    [
      "run",
      manifest,
      "--engine",
      "llama-server",
      "--llama-bin",
      bin,
      "--models",
      models,
      "--out",
      out,
      "--json",
    ],
    { XDG_CACHE_HOME: path.join(dir, "cache") },
  );
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-run-llama-"));
  const family = await getModelFamily();
  models = path.join(dir, "models");
  await mkdir(models);
  await copyFile(family.target, path.join(models, "target.gguf"));
  await copyFile(family.drafts.get(0)!, path.join(models, "draft.gguf"));
  manifest = path.join(dir, "tiny.yaml");
  // the manifest names the in-process engine: --engine replaces it
  await writeFile(
    manifest,
    [
      "name: tiny-llama",
      "models: { target: { file: target.gguf }, draft: { file: draft.gguf } }",
      "pairs: [{ target: target, draft: draft }]",
      "prompts: [Once upon a time]",
      "sweep: { k: [2, 4], temperature: [0], n_predict: 12, repeats: 1, seed: 3 }",
      "baseline: true",
      "engine: in-process",
      "llama: { gpu_layers: 0, ctx: 256, threads: 1 }",
    ].join("\n"),
  );
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("specgrid run --engine llama-server (embedded, fake llama.cpp)", () => {
  it("with no build anywhere, stops before starting anything and names `specgrid llama build`", () => {
    const cache = path.join(dir, "empty-cache");
    const res = specgrid(
      ["run", manifest, "--engine", "llama-server", "--models", models, "--out", path.join(dir, "none")],
      {
        XDG_CACHE_HOME: cache,
      },
    );
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/no build was found/);
    expect(res.stderr).toMatch(/specgrid llama build/);
    expect(res.stderr).toMatch(/--llama-bin/);
    expect(existsSync(path.join(dir, "none", "specgrid.log"))).toBe(false);
  });

  it("uses the cached build of `specgrid llama build` when no --llama-bin is given, and says so", async () => {
    const cache = path.join(dir, "cache");
    const commit = await bundleCommit();
    const buildDir = buildDirFor(commit, "cpu", llamaCacheRoot({ XDG_CACHE_HOME: cache }));
    await fakeBuild(binDirOf(buildDir));
    await writeFile(
      path.join(buildDir, "specgrid-build.json"),
      JSON.stringify({
        commit,
        variant: "cpu",
        tools: [...LLAMA_BUILD_TARGETS],
        cmakeFlags: [],
        builtAt: new Date().toISOString(),
        buildMs: 1,
      }),
    );
    const res = specgrid(
      [
        "run",
        manifest,
        "--engine",
        "llama-server",
        "--models",
        models,
        "--out",
        path.join(dir, "cached"),
        "--json",
      ],
      { XDG_CACHE_HOME: cache },
    );
    expect(res.status, `${String(res.stderr).slice(-3000)}\n${String(res.stdout).slice(-3000)}`).toBe(0);
    const out = JSON.parse(String(res.stdout)) as RunJson;
    expect(out.engine).toBe("llama-server");
    expect(out.llama).toEqual({ bin_dir: binDirOf(buildDir), source: "cache", commit, variant: "cpu" });
    expect(res.stderr).toContain(
      `llama.cpp: ${binDirOf(buildDir)} (cached build of bundle commit ${commit.slice(0, 12)} (cpu))`,
    );
    expect(out.status.state).toBe("done");
    allValid(out);
  }, 180_000);

  it("uses --llama-bin over the cache", async () => {
    const bin = path.join(dir, "flag-bin");
    await fakeBuild(bin);
    const res = runWithFlag(bin, path.join(dir, "flag"));
    expect(res.status, `${String(res.stderr).slice(-3000)}\n${String(res.stdout).slice(-3000)}`).toBe(0);
    const out = JSON.parse(String(res.stdout)) as RunJson;
    expect(out.llama).toEqual({ bin_dir: bin, source: "flag" });
    allValid(out);
  }, 180_000);

  it("reproduce runs the stored sweep again on the same build (--llama-bin), and without one says how to get it", () => {
    const bin = path.join(dir, "flag-bin");
    const first = JSON.parse(String(runWithFlag(bin, path.join(dir, "repro")).stdout)) as RunJson;
    const args = [
      "reproduce",
      first.sweep_id,
      "--db",
      path.join(dir, "repro", "specgrid.sqlite"),
      "--models",
      models,
      "--engine",
      "llama-server",
    ];
    const none = specgrid([...args, "--json"], { XDG_CACHE_HOME: path.join(dir, "empty-cache") });
    expect(none.status).toBe(2);
    expect(String(none.stdout)).toMatch(/no build was found/);
    expect(String(none.stdout)).toMatch(/--llama-bin/);
    const res = specgrid([...args, "--llama-bin", bin, "--json"], {
      XDG_CACHE_HOME: path.join(dir, "empty-cache"),
    });
    expect(res.status, `${String(res.stderr).slice(-3000)}\n${String(res.stdout).slice(-3000)}`).toBe(0);
    const out = JSON.parse(String(res.stdout)) as {
      original_sweep_id: string;
      new_state: string;
      mode: string;
    };
    expect(out).toMatchObject({ original_sweep_id: first.sweep_id, new_state: "done", mode: "embedded" });
  }, 240_000);
});
