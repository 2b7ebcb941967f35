// manifestForSubmit: prompt files become texts, and `run --engine` replaces the manifest's engine, checked
// again under the new engine.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import { ManifestError } from "../../core/errors.js";

let dir: string;
const body = (k: string, engine: string): string =>
  [
    "name: t",
    "models: { target: { file: t.gguf }, draft: { file: d.gguf } }",
    "pairs: [{ target: target, draft: draft }]",
    "prompts: [{ file: p.txt }]",
    `sweep: { k: [${k}], temperature: [0], n_predict: 8 }`,
    `engine: ${engine}`,
  ].join("\n");

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-submit-"));
  await writeFile(path.join(dir, "p.txt"), "Once upon a time");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("manifestForSubmit", () => {
  it("sends the prompt texts and the manifest's own engine when none is given", async () => {
    const file = path.join(dir, "a.yaml");
    await writeFile(file, body("2, 4", "in-process"));
    const req = await manifestForSubmit(file);
    const sent = parse(req.manifestYaml) as { engine: string; prompts: string[] };
    expect(sent.engine).toBe("in-process");
    expect(sent.prompts).toEqual(["Once upon a time"]);
    expect(req.prompts).toEqual(["Once upon a time"]);
  });

  it("replaces the engine with the one given, keeping the rest", async () => {
    const file = path.join(dir, "b.yaml");
    await writeFile(file, body("2, 4", "in-process"));
    const req = await manifestForSubmit(file, {}, "llama-server");
    const sent = parse(req.manifestYaml) as { engine: string; prompts: string[]; sweep: { k: number[] } };
    expect(sent.engine).toBe("llama-server");
    expect(sent.sweep.k).toEqual([2, 4]);
    expect(sent.prompts).toEqual(["Once upon a time"]);
  });

  it("checks the manifest again under the new engine: adaptive K needs in-process", async () => {
    const file = path.join(dir, "c.yaml");
    await writeFile(file, body("adaptive", "in-process"));
    await expect(manifestForSubmit(file)).resolves.toBeDefined();
    const err = await manifestForSubmit(file, {}, "llama-server").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect(String((err as Error).message)).toMatch(/with engine: llama-server/);
    expect(String((err as Error).message)).toMatch(/"adaptive" K needs engine: in-process/);
  });
});
