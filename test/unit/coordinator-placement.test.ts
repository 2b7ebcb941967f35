// Model resolution and placement: pure functions over agent inventories, table-driven.
import { describe, expect, it } from "vitest";
import type { Shard } from "../../core/cell.js";
import { SpecgridError } from "../../core/errors.js";
import type { Manifest } from "../../core/manifest/manifest.js";
import { hostPool, requirementPool } from "../../core/nats-names.js";
import type { AgentInfo } from "../../core/wire/generated.js";
import { placeShards } from "../../services/coordinator/place-shards.js";
import { resolveModels } from "../../services/coordinator/resolve-models.js";

const T = "1".repeat(64);
const D = "2".repeat(64);
const D_OTHER = "3".repeat(64);

function agent(
  name: string,
  models: [string, string][],
  opts: { engines?: string[]; gpus?: string[] } = {},
): AgentInfo {
  return {
    agentId: name,
    name,
    alive: true,
    lastSeen: "",
    runningShards: [],
    slots: 1,
    inventory: { models: models.map(([file, sha256]) => ({ file, sha256, bytes: 1 })) },
    host: {
      hostId: name,
      hostname: name,
      os: "",
      cpu: "",
      cpuCores: 2,
      memoryMib: 1,
      gpus: (opts.gpus ?? []).map((g, i) => ({
        index: i,
        name: g,
        uuid: "",
        memoryTotalMib: 0,
        memoryUsedMib: 0,
        driver: "",
        computeCapability: "",
      })),
      llamaBuilds: [],
      engines: opts.engines ?? ["in-process"],
      labels: {},
      agentVersion: "",
    },
  };
}

function manifest(models: Manifest["models"]): Manifest {
  return { models, pairs: [{ target: "t", draft: "d" }] } as unknown as Manifest;
}

describe("resolveModels", () => {
  const a = agent("a", [
    ["t.gguf", T],
    ["d.gguf", D],
  ]);
  const b = agent("b", [
    ["t.gguf", T],
    ["d.gguf", D_OTHER],
  ]);

  it.each([
    ["by file, one version", [a], { t: { file: "t.gguf" }, d: { file: "d.gguf" } }, { t: T, d: D }],
    [
      "pinned sha disambiguates",
      [a, b],
      { t: { file: "t.gguf" }, d: { file: "d.gguf", sha256: D_OTHER } },
      { t: T, d: D_OTHER },
    ],
    [
      "unused models are ignored",
      [a],
      { t: { file: "t.gguf" }, d: { file: "d.gguf" }, spare: { file: "nowhere.gguf" } },
      { t: T, d: D },
    ],
  ])("%s", (_name, agents, models, expected) => {
    const resolved = resolveModels(manifest(models), agents);
    for (const [name, sha] of Object.entries(expected)) expect(resolved.models[name]?.sha256).toBe(sha);
  });

  it.each([
    [
      "absent file",
      [a],
      { t: { file: "t.gguf" }, d: { file: "x.gguf" } },
      "MODEL_NOT_FOUND",
      /model "d" \(file x\.gguf\) is held by no live agent \(a: t\.gguf, d\.gguf\)/,
    ],
    [
      "absent sha",
      [a],
      { t: { file: "t.gguf" }, d: { sha256: D_OTHER } },
      "MODEL_NOT_FOUND",
      /model "d" \(sha256 333333333333…\)/,
    ],
    [
      "no agents at all",
      [],
      { t: { file: "t.gguf" }, d: { file: "d.gguf" } },
      "MODEL_NOT_FOUND",
      /no live agents are registered/,
    ],
    [
      "same file, different contents",
      [a, b],
      { t: { file: "t.gguf" }, d: { file: "d.gguf" } },
      "MODEL_AMBIGUOUS",
      /222222222222… on a; 333333333333… on b.*Pin/,
    ],
  ])("%s is refused", (_name, agents, models, code, message) => {
    let err: unknown;
    try {
      resolveModels(manifest(models), agents);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecgridError);
    expect((err as SpecgridError).code).toBe(code);
    expect((err as SpecgridError).message).toMatch(message);
  });
});

describe("placeShards", () => {
  const llama = { gpuLayers: 0, ctx: 256, flashAttn: "auto" as const };
  const shard = (id: string, draft?: string, cells = 2): Shard => ({
    shardId: id,
    key: {
      engine: "in-process",
      target: { name: "t", sha256: T },
      ...(draft ? { draft: { name: "d", sha256: draft } } : {}),
      llama,
    },
    cells: Array.from({ length: cells }, () => ({}) as Shard["cells"][number]),
    estimatedMs: 1,
  });
  const full = agent(
    "full",
    [
      ["t.gguf", T],
      ["d.gguf", D],
    ],
    { gpus: ["NVIDIA H100 80GB"] },
  );
  const targetOnly = agent("target-only", [["t.gguf", T]], { gpus: ["NVIDIA L4"] });
  const otherEngine = agent(
    "server",
    [
      ["t.gguf", T],
      ["d.gguf", D],
    ],
    { engines: ["llama-server"] },
  );
  const fleet = [full, targetOnly, otherEngine];

  it.each([
    [
      "spread: one requirement pool per shard",
      "spread" as const,
      [shard("s1", D)],
      [{ shardId: "s1", pool: requirementPool("in-process", [T, D]) }],
      2,
    ],
    [
      "every-host: one host pool per eligible agent",
      "every-host" as const,
      [shard("s1")],
      [
        { shardId: "s1", pool: hostPool("full"), hostId: "full" },
        { shardId: "s1", pool: hostPool("target-only"), hostId: "target-only" },
      ],
      4,
    ],
    [
      "every-host skips agents without the draft",
      "every-host" as const,
      [shard("s1", D)],
      [{ shardId: "s1", pool: hostPool("full"), hostId: "full" }],
      2,
    ],
    [
      "gpu selector",
      { gpu: "*L4*" },
      [shard("s1")],
      [{ shardId: "s1", pool: hostPool("target-only"), hostId: "target-only" }],
      2,
    ],
    [
      "hosts selector",
      { hosts: ["full"] },
      [shard("s1")],
      [{ shardId: "s1", pool: hostPool("full"), hostId: "full" }],
      2,
    ],
  ])("%s", (_name, placement, shards, expected, total) => {
    const placed = placeShards(shards, placement, fleet);
    expect(placed.placements).toEqual(expected);
    expect(placed.placementsTotal).toBe(total);
  });

  it.each([
    [
      "no agent holds the draft",
      "spread" as const,
      shard("s1", D_OTHER),
      /no live agent has engine in-process/,
    ],
    [
      "the selector matches no eligible agent",
      { gpu: "*A100*" },
      shard("s1"),
      /selector matches none of the eligible agents/,
    ],
  ])("refused: %s", (_name, placement, s, message) => {
    expect(() => placeShards([s], placement, fleet)).toThrow(message);
  });
});
