// `specgrid agents probe --json` on this machine (no GPU, no llama.cpp unless given) and on a replayed build.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCommand } from "@oclif/test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AgentsProbeResult } from "../../cli/commands/agents/probe.js";
import { currentBuild, installReplayLlama } from "../support/replay-llama.js";
import { binDirOf, buildDirFor, bundleCommit, llamaCacheRoot } from "../../cli/workflows/llama-build.js";
import { LLAMA_BUILD_TARGETS } from "../../core/llama-tools.js";
import { getModelFamily } from "../support/model-family.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "specgrid-probe-cmd-"));
  // `specgrid llama build`'s cache of this machine must not answer for "no build"
  vi.stubEnv("XDG_CACHE_HOME", path.join(root, "cache"));
  vi.stubEnv("SPECGRID_LLAMA_BIN", undefined);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

describe("specgrid agents probe", () => {
  it("reports no GPU and no llama.cpp build instead of failing, and lists models with GGUF facts", async () => {
    const family = await getModelFamily();
    const models = path.join(root, "models");
    await mkdir(models);
    await copyFile(family.target, path.join(models, "target.gguf"));
    await writeFile(path.join(models, "broken.gguf"), "not a gguf");
    const { result, error } = await runCommand<AgentsProbeResult>([
      "agents",
      "probe",
      "--models",
      models,
      "--nvidia-smi",
      path.join(root, "no-nvidia-smi"),
      "--hash-cache",
      path.join(root, "cache.json"),
      "--json",
    ]);
    expect(error).toBeUndefined();
    expect(result!.gpus).toEqual([]);
    expect(result!.gpu_note).toMatch(/not available/);
    expect(result!.llama.tools).toEqual({});
    expect(result!.llama.notes.join(" ")).toMatch(/no llama.cpp build directory configured/);
    expect(result!.llama.notes.join(" ")).toMatch(/specgrid llama build/);
    expect(result!.llama.source).toBeUndefined();
    const byFile = Object.fromEntries(result!.models.map((m) => [m.file, m]));
    expect(byFile["target.gguf"]).toMatchObject({ architecture: "llama" });
    expect(byFile["target.gguf"]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(byFile["broken.gguf"]!.facts_error).toBeDefined();
  });

  it("prints the capability map of a llama.cpp build directory", async () => {
    const bin = await mkdtemp(path.join(root, "bin-"));
    await installReplayLlama(bin, { tools: { "llama-server": currentBuild("llama-server") } });
    const { result } = await runCommand<AgentsProbeResult>([
      "agents",
      "probe",
      "--llama-bin",
      bin,
      "--nvidia-smi",
      path.join(root, "no-nvidia-smi"),
      "--json",
    ]);
    expect(result!.llama.build_number).toBe(10587);
    expect(result!.llama.source).toBe("flag");
    expect(result!.llama.tools["llama-server"]!.capabilities).toMatchObject({
      draftMax: "--spec-draft-n-max",
      specTypeDraftSimple: true,
      perRequestSpeculative: false,
    });
    expect(result!.llama.missing).toContain("llama-speculative");
  });

  it("finds the build of `specgrid llama build` in the cache when no --llama-bin is given", async () => {
    const commit = await bundleCommit();
    const buildDir = buildDirFor(commit, "cpu", llamaCacheRoot());
    const tools = Object.fromEntries(LLAMA_BUILD_TARGETS.map((t) => [t, currentBuild("llama-server")]));
    await mkdir(binDirOf(buildDir), { recursive: true });
    await installReplayLlama(binDirOf(buildDir), { tools });
    const stamp = {
      commit,
      variant: "cpu",
      tools: [...LLAMA_BUILD_TARGETS],
      cmakeFlags: [],
      builtAt: "x",
      buildMs: 1,
    };
    // without its stamp the build is unfinished, and not used
    const probe = ["agents", "probe", "--nvidia-smi", path.join(root, "no-nvidia-smi"), "--json"];
    const before = await runCommand<AgentsProbeResult>(probe);
    expect(before.result!.llama.bin_dir).toBeNull();
    await writeFile(path.join(buildDir, "specgrid-build.json"), JSON.stringify(stamp));
    const { result } = await runCommand<AgentsProbeResult>(probe);
    expect(result!.llama).toMatchObject({
      bin_dir: binDirOf(buildDir),
      source: "cache",
      build_commit: commit,
      variant: "cpu",
    });
    expect(Object.keys(result!.llama.tools)).toContain("llama-server");
  });
});
