// Model resolution and placement: pure functions over agent inventories, table-driven.
import { describe, expect, it } from "vitest";
import type { Shard } from "../../core/cell.js";
import { SpecgridError } from "../../core/errors.js";
import type { Manifest } from "../../core/manifest/manifest.js";
import { hostPool, requirementPool } from "../../core/nats-names.js";
import type { AgentInfo, AgentLlamaTool } from "../../core/agent-info.js";
import type { Cell } from "../../core/cell.js";
import { shardNeeds } from "../../core/plan/shard-needs.js";
import { placeShards } from "../../services/coordinator/place-shards.js";
import { resolveModels } from "../../services/coordinator/resolve-models.js";

const T = "1".repeat(64);
const D = "2".repeat(64);
const D_OTHER = "3".repeat(64);

function agent(
  name: string,
  models: [string, string][],
  opts: {
    engines?: string[];
    gpus?: string[];
    gpuMemoryMib?: number;
    memoryMib?: number;
    llamaTools?: AgentLlamaTool[];
    facts?: Record<string, unknown>;
  } = {},
): AgentInfo {
  return {
    agentId: name,
    name,
    alive: true,
    lastSeen: "",
    runningShards: [],
    slots: 1,
    models: models.map(([file, sha256]) => ({
      file,
      sha256,
      bytes: 1,
      ...(opts.facts?.[sha256] === undefined ? {} : { facts: opts.facts[sha256] }),
    })),
    host: {
      hostId: name,
      hostname: name,
      os: "",
      cpu: "",
      cpuCores: 2,
      memoryMib: opts.memoryMib ?? 1,
      gpus: (opts.gpus ?? []).map((g, i) => ({
        index: i,
        name: g,
        uuid: "",
        memoryTotalMib: opts.gpuMemoryMib ?? 0,
        memoryUsedMib: 0,
        driver: "",
        computeCapability: "",
      })),
      llamaTools: opts.llamaTools ?? [],
      engines: opts.engines ?? ["in-process"],
      labels: {},
      agentVersion: "",
    },
  };
}

function manifest(models: Manifest["models"], specType = ["draft-simple"]): Manifest {
  return { models, pairs: [{ target: "t", draft: "d" }], sweep: { specType } } as unknown as Manifest;
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

  it("a sweep of draftless types never loads the pairs' drafts, so no agent need hold them", () => {
    const models = { t: { file: "t.gguf" }, d: { file: "x.gguf" } };
    const resolved = resolveModels(manifest(models, ["ngram-mod", "ngram-simple"]), [a]);
    expect(resolved.models.t?.sha256).toBe(T);
    expect(resolved.models.d?.sha256).toBeUndefined();
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
      [{ shardId: "s1", pool: requirementPool(shardNeeds(shard("s1", D))) }],
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
      /no eligible host because full: it holds no model with sha256 333333333333…; target-only: it holds no model .*; server: it does not run engine in-process/,
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

describe("placement checks llama.cpp capabilities and memory fit (DESIGN's placement contract)", () => {
  const flags = {
    gpuLayers: "-ngl",
    draftModel: "--spec-draft-model",
    draftMax: "--spec-draft-n-max",
    pMin: "--spec-draft-p-min",
    parallel: "-np",
    sequences: "-ns",
  };
  const tool = (name: string, caps: Partial<typeof flags> = flags): AgentLlamaTool => ({
    tool: name,
    version: "b1",
    capabilities: { specTypeDraftSimple: true, ...caps },
  });
  const allTools = ["llama-speculative", "llama-completion", "llama-parallel", "llama-server"].map((n) =>
    tool(n),
  );
  const models: [string, string][] = [
    ["t.gguf", T],
    ["d.gguf", D],
  ];
  const cell = (kind: Cell["kind"], extra: Partial<Cell> = {}): Cell =>
    ({ kind, draft: { name: "d", sha256: D }, ...extra }) as Cell;
  const llamaShard = (
    engine: Shard["key"]["engine"],
    cells: Cell[],
    llama = { gpuLayers: 0, ctx: 4096 },
  ): Shard => ({
    shardId: "s1",
    key: {
      engine,
      target: { name: "t", sha256: T },
      draft: { name: "d", sha256: D },
      llama: { flashAttn: "auto", ...llama },
    },
    cells,
    estimatedMs: 1,
  });
  // a 7B-class target (about 3.9 GiB of weights) and a small draft, as the agents' GGUF facts report them
  const facts = {
    [T]: {
      tensorDataBytes: 3.9 * 1024 ** 3,
      blockCount: 32,
      embeddingLength: 4096,
      feedForwardLength: 11008,
      headCountKv: 32,
      keyLength: 128,
      valueLength: 128,
      vocab: { size: 32000 },
    },
    [D]: {
      tensorDataBytes: 0.1 * 1024 ** 3,
      blockCount: 4,
      embeddingLength: 512,
      headCountKv: 8,
      keyLength: 64,
      valueLength: 64,
      vocab: { size: 32000 },
    },
  };
  const engines = ["llama-speculative", "llama-server"];

  it("needs: a speculative CLI shard runs its baselines on llama-completion and asks p-min only when set", () => {
    const needs = shardNeeds(
      llamaShard("llama-speculative", [cell("baseline"), cell("speculative", { pMin: 0.2 })]),
    );
    expect(needs.tools).toEqual([
      { tool: "llama-completion", flags: ["gpuLayers"] },
      { tool: "llama-speculative", flags: ["draftMax", "draftModel", "gpuLayers", "pMin"] },
    ]);
    expect(needs.memory).toEqual({ withDraft: true, ctx: 4096, parallel: 1, gpuLayers: 0 });
    const server = shardNeeds(
      llamaShard("llama-server", [cell("speculative"), cell("parallel", { concurrency: 4 })]),
    );
    expect(server.tools).toEqual([{ tool: "llama-server", flags: ["draftMax", "draftModel"] }]);
    expect(server.memory.parallel).toBe(4);
    // a draftless type loads no draft and drafts no K; the build must list the type
    const ngram = shardNeeds(
      llamaShard("llama-server", [cell("speculative", { draft: undefined, specType: "ngram-mod" })]),
    );
    expect(ngram.tools).toEqual([{ tool: "llama-server", flags: [], specTypes: ["ngram-mod"] }]);
    // llama-speculative-simple takes --spec-type too: its build must list the type
    const simple = shardNeeds(
      llamaShard("llama-speculative-simple", [
        cell("speculative", { draft: undefined, specType: "ngram-simple" }),
      ]),
    );
    expect(simple.tools).toEqual([
      { tool: "llama-speculative-simple", flags: ["gpuLayers"], specTypes: ["ngram-simple"] },
    ]);
    // llama-bench falls back to -ngl itself: it needs its tool only
    expect(shardNeeds(llamaShard("llama-bench", [cell("baseline")])).tools).toEqual([
      { tool: "llama-bench", flags: [] },
    ]);
  });

  it.each([
    [
      "a host whose build lacks the baseline tool",
      llamaShard("llama-speculative", [cell("baseline"), cell("speculative")]),
      agent("no-completion", models, { engines, llamaTools: [tool("llama-speculative")], memoryMib: 65536 }),
      /no eligible host because no-completion: no llama-completion in its llama\.cpp build/,
    ],
    [
      "a host whose llama-speculative has no p-min flag",
      llamaShard("llama-speculative", [cell("speculative", { pMin: 0.5 })]),
      agent("old-build", models, {
        engines,
        llamaTools: [
          tool("llama-speculative", { gpuLayers: "-ngl", draftModel: "-md", draftMax: "--draft-max" }),
        ],
        memoryMib: 65536,
      }),
      /old-build: its llama-speculative has no flag for p-min/,
    ],
    [
      "tree drafting on a build without a split flag",
      llamaShard("llama-speculative", [cell("speculative", { nParallel: 2, pSplit: 0.1 })]),
      agent("no-split", models, { engines, llamaTools: allTools, memoryMib: 65536 }),
      /no-split: its llama-speculative has no flag for the tree split probability/,
    ],
    [
      "a draftless spec type the build does not list",
      llamaShard("llama-server", [cell("speculative", { draft: undefined, specType: "ngram-mod" })]),
      agent("old-server", models, { engines, llamaTools: allTools, memoryMib: 65536 }),
      /old-server: its llama-server does not list --spec-type ngram-mod/,
    ],
    [
      "llama-bench baselines on a build without llama-bench",
      llamaShard("llama-bench", [cell("baseline", { draft: undefined })]),
      agent("no-bench", models, { engines: ["llama-bench"], llamaTools: allTools, memoryMib: 65536 }),
      /no-bench: no llama-bench in its llama\.cpp build/,
    ],
    [
      "a host whose RAM cannot hold target and draft",
      llamaShard("llama-server", [cell("baseline"), cell("speculative")]),
      agent("small", models, { engines, llamaTools: allTools, memoryMib: 4096, facts }),
      /small: target and draft need an estimated \d+ MiB \(ctx 4096, 1 sequence\), more than its 4096 MiB of RAM/,
    ],
    [
      "a GPU too small when every layer is offloaded",
      llamaShard("llama-server", [cell("speculative")], { gpuLayers: 99, ctx: 4096 }),
      agent("l4-small", models, {
        engines,
        llamaTools: allTools,
        memoryMib: 65536,
        gpus: ["NVIDIA T4"],
        gpuMemoryMib: 4096,
        facts,
      }),
      /l4-small: target and draft need .* more than its 4096 MiB of GPU memory/,
    ],
  ])("refused at submit: %s, naming the host and what it lacks", (_name, s, host, message) => {
    let err: unknown;
    try {
      placeShards([s], "spread", [host]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecgridError);
    expect((err as SpecgridError).code).toBe("NO_ELIGIBLE_AGENT");
    expect((err as SpecgridError).message).toMatch(message);
  });

  it("places on the host that fits and has the flags, and lists the others' reasons only when none does", () => {
    const s = llamaShard("llama-server", [cell("baseline"), cell("speculative", { pMin: 0.1 })]);
    const big = agent("big", models, { engines, llamaTools: allTools, memoryMib: 65536, facts });
    const small = agent("small", models, { engines, llamaTools: allTools, memoryMib: 4096, facts });
    const placed = placeShards([s], "every-host", [small, big]);
    expect(placed.placements).toEqual([{ shardId: "s1", pool: hostPool("big"), hostId: "big" }]);
    // without GGUF facts there is nothing to estimate: the host is not refused for memory
    const unknown = agent("unknown", models, { engines, llamaTools: allTools, memoryMib: 1 });
    expect(placeShards([s], "every-host", [unknown]).placements).toHaveLength(1);
  });
});
