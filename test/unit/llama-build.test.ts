// specgrid llama build's cache: what counts as a finished build, which build a command picks, and the errors
// for a machine without the tools. (The build itself runs in CI through .ci/run; it takes minutes.)
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  LlamaBuildError,
  binDirOf,
  buildDirFor,
  bundleCommit,
  chooseLlamaBin,
  describeLlamaBin,
  finishedBuild,
  llamaCacheRoot,
  requireBuildTools,
} from "../../cli/workflows/llama-build.js";
import { LLAMA_BUILD_TARGETS } from "../../core/llama-tools.js";

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "specgrid-llama-build-"));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function fakeBuild(
  dir: string,
  commit: string,
  variant: "cpu" | "cuda",
  tools: readonly string[] = LLAMA_BUILD_TARGETS,
): Promise<void> {
  await mkdir(binDirOf(dir), { recursive: true });
  for (const tool of tools) {
    await writeFile(path.join(binDirOf(dir), tool), "#!/bin/sh\n");
    await chmod(path.join(binDirOf(dir), tool), 0o755);
  }
  const stamp = { commit, variant, tools, cmakeFlags: [], builtAt: "2026-12-03T00:00:00Z", buildMs: 1 };
  await writeFile(path.join(dir, "specgrid-build.json"), JSON.stringify(stamp));
}

describe("llama build cache", () => {
  it("keys the cache by the shipped bundle's commit and the variant", async () => {
    const commit = await bundleCommit();
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(llamaCacheRoot({ XDG_CACHE_HOME: "/c" })).toBe("/c/specgrid/llama.cpp");
    expect(buildDirFor(commit, "cpu", "/c")).toBe(`/c/${commit.slice(0, 12)}-cpu`);
  });

  it("a build without its stamp or missing a tool is not finished", async () => {
    const dir = path.join(tmp, "b");
    await fakeBuild(dir, "a".repeat(40), "cpu", LLAMA_BUILD_TARGETS.slice(0, 7));
    expect(await finishedBuild(dir)).toBeUndefined();
    await fakeBuild(dir, "a".repeat(40), "cpu");
    expect((await finishedBuild(dir))?.variant).toBe("cpu");
    await rm(path.join(dir, "specgrid-build.json"));
    expect(await finishedBuild(dir)).toBeUndefined();
  });

  it("--llama-bin wins, then SPECGRID_LLAMA_BIN, then the cached build (CUDA before CPU)", async () => {
    const env = { XDG_CACHE_HOME: tmp };
    expect(await chooseLlamaBin(undefined, env)).toBeUndefined();
    expect(describeLlamaBin(undefined)).toContain("specgrid llama build");

    const commit = await bundleCommit();
    const root = llamaCacheRoot(env);
    await fakeBuild(buildDirFor(commit, "cpu", root), commit, "cpu");
    const cpu = await chooseLlamaBin(undefined, env);
    expect(cpu).toMatchObject({ source: "cache", binDir: binDirOf(buildDirFor(commit, "cpu", root)) });
    expect(describeLlamaBin(cpu)).toContain("(cpu)");

    await fakeBuild(buildDirFor(commit, "cuda", root), commit, "cuda");
    expect((await chooseLlamaBin(undefined, env))?.stamp?.variant).toBe("cuda");

    expect(await chooseLlamaBin("/opt/llama/bin", env)).toEqual({ binDir: "/opt/llama/bin", source: "flag" });
    const fromEnv = await chooseLlamaBin("/opt/llama/bin", { ...env, SPECGRID_LLAMA_BIN: "/opt/llama/bin" });
    expect(fromEnv?.source).toBe("env");
  });

  it("names the Debian packages when cmake or a compiler is missing", async () => {
    const err = await requireBuildTools("cpu", { PATH: tmp }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlamaBuildError);
    expect((err as Error).message).toMatch(/cmake.*build-essential/s);
    expect((err as Error).message).toContain("apt-get install");
  });

  it("--cuda without a working nvcc says so", async () => {
    for (const tool of ["cmake", "git", "make", "c++"]) {
      await writeFile(path.join(tmp, tool), "#!/bin/sh\n");
      await chmod(path.join(tmp, tool), 0o755);
    }
    await expect(requireBuildTools("cpu", { PATH: tmp })).resolves.toBeUndefined();
    const nvcc = path.join(tmp, "nvcc");
    await writeFile(nvcc, "#!/bin/sh\nexit 1\n");
    await chmod(nvcc, 0o755);
    await expect(requireBuildTools("cuda", { PATH: tmp })).rejects.toThrow(/--cuda needs the CUDA toolkit/);
  });
});
