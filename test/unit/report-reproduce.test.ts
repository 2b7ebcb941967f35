// The pure parts of reproduce: the manifest it resubmits and the host differences it warns about.
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

import { hostDifferences, pinnedManifest } from "../../cli/workflows/reproduce-sweep.js";
import type { HostSnapshot, StoredResult } from "../../cli/store/store-records.js";
import { fakeSweep } from "../support/fake-results.js";

const manifest = `name: lab
models:
  llama2-7b: { file: llama2-7b.gguf }
  tinyllama-1.1b: { file: tinyllama-1.1b.gguf }
pairs:
  - { target: llama2-7b, draft: tinyllama-1.1b }
prompts:
  - First prompt
  - Second prompt
sweep: { k: [1, 2], temperature: [0], n_predict: 32, repeats: 2, seed: 42 }
`;

describe("pinnedManifest", () => {
  it("pins each model to the sha256 its cells ran with and keeps prompts, seeds and settings", () => {
    const d = fakeSweep({ seed: 1, repeats: 1, prompts: 1, concurrency: [] });
    const results = d.results.map(
      (r) => ({ cell: d.cells.find((c) => c.cellId === r.cellId) }) as StoredResult,
    );
    const out = pinnedManifest(manifest, results);
    const doc = parse(out.manifestYaml) as {
      models: Record<string, { file: string; sha256?: string }>;
      sweep: { seed: number };
    };
    const target = d.cells.find((c) => c.kind === "baseline")!.target;
    expect(doc.models["llama2-7b"]).toEqual({ file: "llama2-7b.gguf", sha256: target.sha256 });
    expect(doc.models["tinyllama-1.1b"]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.sweep.seed).toBe(42);
    expect(out.prompts).toEqual(["First prompt", "Second prompt"]);
  });
});

describe("hostDifferences", () => {
  const host = (over: Partial<HostSnapshot> = {}): HostSnapshot => ({
    hostId: "h1",
    gpus: [{ index: 0, name: "NVIDIA L4" }],
    llamaVersion: "b6100",
    llamaCommit: "abc",
    driver: "550",
    cudaVersion: "12.4",
    agentVersion: "0.1.0",
    labels: {},
    ...over,
  });

  it.each([
    ["identical hosts", [host()], [host()], []],
    [
      "another llama.cpp build",
      [host()],
      [host({ llamaVersion: "b6200" })],
      ["host h1: llama.cpp build was b6100, now b6200"],
    ],
    [
      "another GPU",
      [host()],
      [host({ gpus: [{ index: 0, name: "NVIDIA A100" }] })],
      ["host h1: GPUs was NVIDIA L4, now NVIDIA A100"],
    ],
    [
      "a host missing and a new one",
      [host()],
      [host({ hostId: "h2" })],
      ["host h1 ran the original but not the reproduction", "host h2 is new in the reproduction"],
    ],
  ])("%s", (_name, before, after, expected) => {
    expect(hostDifferences(before, after)).toEqual(expected);
  });
});
