// `specgrid cell run` through the llama.cpp engines on a replayed build: parsed metrics and the exact argv.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCommand } from "@oclif/test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { CellRunResult } from "../../cli/commands/cell/run.js";
import { currentBuild, installReplayLlama, type ReplayInstall } from "../support/replay-llama.js";
import { getModelFamily, type ModelFamily } from "../support/model-family.js";

let root: string;
let install: ReplayInstall;
let family: ModelFamily;

beforeAll(async () => {
  family = await getModelFamily();
  root = await mkdtemp(path.join(tmpdir(), "specgrid-cell-run-llama-"));
  install = await installReplayLlama(root, {
    tools: {
      "llama-speculative-simple": {
        ...currentBuild("llama-speculative-simple"),
        runs: [
          {
            stdout: "llama-speculative-simple-n05-k4-t0.stdout",
            stderr: "llama-speculative-simple-n05-k4-t0.stderr",
            paceMs: 10,
          },
        ],
      },
      "llama-server": currentBuild("llama-server"),
    },
  });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("cell run --engine <llama.cpp tool>", () => {
  it("runs llama-speculative-simple and returns the metrics and the argv it ran", async () => {
    const { result, error } = await runCommand<CellRunResult>([
      "cell",
      "run",
      "--engine",
      "llama-speculative-simple",
      "--llama-bin",
      root,
      "--target",
      family.target,
      "--draft",
      family.drafts.get(0.05)!,
      "--k",
      "4",
      "--json",
    ]);
    expect(error).toBeUndefined();
    const run = result!.runs[0]!;
    expect(run.status).toBe("ok");
    expect(run.metrics!.n_drafted).toBeGreaterThan(0);
    expect(result!.backend).toMatch(/llama.cpp b10587/);
    expect(result!.llama).toEqual({ bin_dir: root, source: "flag" });
    const ran = (await install.invocations()).find(
      (i) => i.kind === "run" && i.tool === "llama-speculative-simple",
    )!;
    expect(run.command).toEqual([path.join(root, "llama-speculative-simple"), ...ran.argv]);
  });

  it("runs a baseline on llama-server", async () => {
    const { result, error } = await runCommand<CellRunResult>([
      "cell",
      "run",
      "--engine",
      "llama-server",
      "--llama-bin",
      root,
      "--target",
      family.target,
      "--json",
    ]);
    expect(error).toBeUndefined();
    expect(result!.runs[0]!.status).toBe("ok");
    expect(result!.runs[0]!.command).toContain("--port");
  });

  it("asks for --llama-bin or `specgrid llama build` when no build is found", async () => {
    vi.stubEnv("XDG_CACHE_HOME", path.join(root, "empty-cache"));
    vi.stubEnv("SPECGRID_LLAMA_BIN", undefined);
    const { error } = await runCommand([
      "cell",
      "run",
      "--engine",
      "llama-completion",
      "--target",
      family.target,
    ]);
    vi.unstubAllEnvs();
    expect(error?.message).toMatch(/--llama-bin/);
    expect(error?.message).toMatch(/specgrid llama build/);
  });
});
