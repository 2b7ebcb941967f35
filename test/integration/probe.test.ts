// Probes against real processes and files: a replayed llama.cpp build (current and old spellings), a
// host without nvidia-smi, a stand-in nvidia-smi program, and model directories with a hash cache.
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RejectedParameterError } from "../../core/errors.js";
import { probeGpus } from "../../agents/probe/probe-gpus.js";
import { probeLlamaBuild } from "../../agents/probe/probe-llama-build.js";
import { resolveModelPath } from "../../agents/probe/resolve-model-path.js";
import { scanModels } from "../../agents/probe/scan-models.js";
import { startVramSampler } from "../../agents/probe/vram-sampler.js";
import { currentBuild, installReplayLlama, oldBuild } from "../support/replay-llama.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "specgrid-probe-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// A stand-in for nvidia-smi: one GPU whose used memory climbs by 100 MiB per sample in -lms mode.
const FAKE_SMI = `
const args = process.argv.slice(2);
if (args.length === 0) { console.log("| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4 |"); process.exit(0); }
const lms = args.indexOf("-lms");
if (lms < 0) { console.log("0, NVIDIA H100 80GB HBM3, GPU-1b2c, 81559, 1234, 550.54.15, 9.0, 700.00, 1980, 1980"); process.exit(0); }
let used = 1000;
setInterval(() => { used += 100; console.log("0, " + used + ", 50, 1900"); }, Number(args[lms + 1]));
`;

async function fakeSmi(): Promise<string> {
  const js = path.join(root, "fake-smi.cjs");
  await writeFile(js, FAKE_SMI);
  const bin = path.join(root, "nvidia-smi");
  await writeFile(bin, `#!/bin/sh\nexec '${process.execPath}' '${js}' "$@"\n`);
  await chmod(bin, 0o755);
  return bin;
}

describe("probeLlamaBuild", () => {
  it("reads version and spellings of a current build; absent tools are listed", async () => {
    const dir = await mkdtemp(path.join(root, "cur-"));
    await installReplayLlama(dir, {
      tools: {
        "llama-speculative-simple": currentBuild("llama-speculative-simple"),
        "llama-server": currentBuild("llama-server"),
      },
    });
    const build = await probeLlamaBuild(dir);
    expect(build.version).toMatchObject({ buildNumber: 10587, commit: "3f545becc" });
    expect(build.tools["llama-speculative-simple"]?.capabilities).toMatchObject({
      draftMax: "--spec-draft-n-max",
      specTypeDraftSimple: true,
    });
    expect(build.tools["llama-server"]?.capabilities.perRequestSpeculative).toBe(false);
    expect(build.missing).toContain("llama-parallel");
    expect(build.notes).toEqual([]);
  });

  it("reads an old build's spellings", async () => {
    const dir = await mkdtemp(path.join(root, "old-"));
    await installReplayLlama(dir, { tools: { "llama-speculative-simple": oldBuild() } });
    const build = await probeLlamaBuild(dir);
    expect(build.version).toMatchObject({ buildNumber: 4589, commit: "1a2b3c4d" });
    expect(build.tools["llama-speculative-simple"]?.capabilities).toMatchObject({
      draftModel: "-md",
      draftMax: "--draft-max",
      pMin: "--draft-p-min",
      specTypeDraftSimple: false,
    });
  });

  it("says so when no directory is configured or it holds no tools", async () => {
    const none = await probeLlamaBuild(undefined);
    expect(none.binDir).toBeNull();
    expect(none.notes[0]).toMatch(/--llama-bin/);
    const empty = await probeLlamaBuild(await mkdtemp(path.join(root, "empty-")));
    expect(Object.keys(empty.tools)).toEqual([]);
    expect(empty.notes[0]).toMatch(/no llama.cpp tools found/);
  });
});

describe("probeGpus and the VRAM sampler", () => {
  it("a host without nvidia-smi has no GPUs and says why", async () => {
    const probe = await probeGpus({ nvidiaSmi: path.join(root, "no-such-nvidia-smi") });
    expect(probe.gpus).toEqual([]);
    expect(probe.reason).toMatch(/not available/);
  });

  it("reads GPUs and the CUDA version from nvidia-smi", async () => {
    const probe = await probeGpus({ nvidiaSmi: await fakeSmi() });
    expect(probe.gpus).toHaveLength(1);
    expect(probe.gpus[0]).toMatchObject({ index: 0, name: "NVIDIA H100 80GB HBM3", memoryTotalMib: 81559 });
    expect(probe.cudaVersion).toBe("12.4");
  });

  it("samples memory while running and reports the peak it saw", async () => {
    const sampler = startVramSampler({ nvidiaSmi: await fakeSmi(), intervalMs: 50 });
    await new Promise((r) => setTimeout(r, 3000));
    const summary = await sampler.stop();
    expect(summary.samples).toBeGreaterThan(0);
    // The stand-in prints 1000 + 100 per sample; the peak is the last sample seen.
    expect(summary.peakVramMib).toBe(1000 + 100 * summary.samples);
    expect(summary.maxSmClockMhz).toBe(1900);
  });
});

describe("scanModels and resolveModelPath", () => {
  it("hashes .gguf files once, then serves the cache; skips symlinks that leave the directory", async () => {
    const models = await mkdtemp(path.join(root, "models-"));
    const outside = await mkdtemp(path.join(root, "outside-"));
    await mkdir(path.join(models, "sub"));
    await writeFile(path.join(models, "a.gguf"), "model a");
    await writeFile(path.join(models, "sub", "b.gguf"), "model b");
    await writeFile(path.join(models, "notes.txt"), "not a model");
    await writeFile(path.join(outside, "secret.gguf"), "outside");
    await symlink(path.join(outside, "secret.gguf"), path.join(models, "escape.gguf"));
    const cacheFile = path.join(root, "cache", "sha.json");

    const first = await scanModels([models], { cacheFile });
    expect(first.models.map((m) => m.file)).toEqual(["a.gguf", "b.gguf"]);
    expect(first.models[0]!.sha256).toBe(createHash("sha256").update("model a").digest("hex"));
    expect(first.hashed).toBe(2);
    expect(first.problems.join("\n")).toMatch(/escape\.gguf points outside/);

    const second = await scanModels([models], { cacheFile });
    expect(second.hashed).toBe(0);
    expect(second.models.map((m) => m.sha256)).toEqual(first.models.map((m) => m.sha256));

    const a = first.models[0]!;
    await expect(resolveModelPath({ name: "a", sha256: a.sha256 }, first.models, [models])).resolves.toBe(
      a.path,
    );
    await expect(resolveModelPath({ name: "a", file: "a.gguf" }, first.models, [models])).resolves.toBe(
      a.path,
    );
    for (const ref of [
      { name: "x", file: "../outside/secret.gguf" },
      { name: "x", file: "sub/b.gguf" },
      { name: "x", sha256: "0".repeat(64) },
      { name: "x", sha256: "not-a-hash" },
    ]) {
      await expect(resolveModelPath(ref, first.models, [models])).rejects.toBeInstanceOf(
        RejectedParameterError,
      );
    }
  });

  it("reports an unreadable directory instead of failing", async () => {
    const scan = await scanModels([path.join(root, "missing-dir")]);
    expect(scan.models).toEqual([]);
    expect(scan.problems[0]).toMatch(/cannot be read/);
  });
});
