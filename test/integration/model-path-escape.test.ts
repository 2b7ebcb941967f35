// The agent resolves a model the coordinator names only to a file inside its own model directories:
// no path parts, no absolute paths, no symlink out (even one swapped in after the scan), no forged inventory.
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RejectedParameterError } from "../../core/errors.js";
import { resolveModelPath } from "../../agents/probe/resolve-model-path.js";
import { scanModels, type ModelFile } from "../../agents/probe/scan-models.js";

let root: string;
let models: string;
let outside: string;
let inventory: ModelFile[];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "specgrid-model-escape-"));
  models = path.join(root, "models");
  outside = path.join(root, "outside");
  await mkdir(models);
  await mkdir(outside);
  await writeFile(path.join(models, "target.gguf"), "target weights");
  await writeFile(path.join(models, "swapped.gguf"), "honest weights");
  await writeFile(path.join(outside, "secret.gguf"), "not for agents");
  inventory = (await scanModels([models])).models;
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function refusal(promise: Promise<string>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RejectedParameterError);
  return (err as RejectedParameterError).message;
}

describe("resolveModelPath containment", () => {
  it("resolves a model in the directory by sha256 and by file name", async () => {
    const target = inventory.find((m) => m.file === "target.gguf");
    expect(target).toBeDefined();
    await expect(resolveModelPath({ name: "t", sha256: target?.sha256 }, inventory, [models])).resolves.toBe(
      target?.path,
    );
  });

  it.each([
    ["a relative path up", "../outside/secret.gguf"],
    ["a bare '..'", ".."],
    ["an absolute path", "/etc/passwd"],
    ["a backslash path", "..\\outside\\secret.gguf"],
    ["a nested path", "sub/target.gguf"],
  ])("refuses %s as a model file name", async (_what, file) => {
    expect(await refusal(resolveModelPath({ name: "m", file }, inventory, [models]))).toMatch(
      /contains a path|not in this agent's model directories/,
    );
  });

  it("refuses a model whose file became a symlink out of the directory after the scan", async () => {
    const swapped = inventory.find((m) => m.file === "swapped.gguf");
    expect(swapped).toBeDefined();
    await unlink(path.join(models, "swapped.gguf"));
    await symlink(path.join(outside, "secret.gguf"), path.join(models, "swapped.gguf"));
    const message = await refusal(
      resolveModelPath({ name: "s", sha256: swapped?.sha256 }, inventory, [models]),
    );
    expect(message).toMatch(/outside the configured model directories/);
  });

  it("refuses an inventory entry that points outside the directories", async () => {
    const forged: ModelFile[] = [
      { ...(inventory[0] as ModelFile), path: path.join(outside, "secret.gguf"), sha256: "c".repeat(64) },
    ];
    const message = await refusal(resolveModelPath({ name: "f", sha256: "c".repeat(64) }, forged, [models]));
    expect(message).toMatch(/outside the configured model directories/);
  });
});
