import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import type { AgentInfo } from "../../core/agent-info.js";
import type { Cell, Shard } from "../../core/cell.js";
import {
  agentInfoFromProto,
  agentInfoToProto,
  registrationFromProto,
} from "../../core/wire/agent-info-wire.js";
import { AgentInfo as PbAgentInfo } from "../../core/wire/generated.js";
import { ConfigError, ManifestError, SpecgridError } from "../../core/errors.js";
import type { CellResult } from "../../core/metrics.js";
import {
  decodeCellResult,
  decodeEvent,
  decodeShard,
  encodeCellResult,
  encodeEvent,
  encodeShard,
  fromGrpcError,
  toGrpcStatus,
} from "../../core/wire/index.js";
import { requirementPool, resultMsgId, resultsSubject, shardMsgId } from "../../core/nats-names.js";
import type { ShardNeeds } from "../../core/plan/shard-needs.js";

const llama = { gpuLayers: 0, ctx: 512, flashAttn: "auto" as const };

const baseline: Cell = {
  cellId: "c-base",
  kind: "baseline",
  engine: "in-process",
  target: { name: "target", file: "target.gguf", sha256: "a".repeat(64) },
  temperature: 0,
  prompt: "Once upon a time",
  promptHash: "b".repeat(64),
  promptIndex: 0,
  nPredict: 8,
  seed: 42,
  repeat: 0,
  llama,
};

const speculativeAdaptive: Cell = {
  ...baseline,
  cellId: "c-spec",
  kind: "speculative",
  draft: { name: "draft", sha256: "c".repeat(64) },
  k: { kind: "adaptive", kMin: 1, kMax: 8, kStart: 4, raiseAbove: 0.8, lowerBelow: 0.4 },
  pMin: 0.5,
  temperature: 0.7,
  llama: { ...llama, threads: 2, batch: 256 },
};

const parallel: Cell = {
  ...baseline,
  cellId: "c-par",
  kind: "parallel",
  k: { kind: "fixed", k: 4 },
  concurrency: 4,
  requests: 16,
};

const treeFromSuite: Cell = {
  ...speculativeAdaptive,
  cellId: "c-tree",
  engine: "llama-speculative",
  k: { kind: "fixed", k: 4 },
  nParallel: 4,
  pSplit: 0.25,
  category: "code",
};

const llamaBench: Cell = {
  ...baseline,
  cellId: "c-bench",
  kind: "bench",
  engine: "llama-bench",
  prompt: "",
  bench: { repetitions: 5, nPrompt: 512 },
};

describe("shard round trip", () => {
  it.each([
    ["baseline", [baseline], undefined],
    ["tree drafting on a suite prompt", [treeFromSuite], undefined],
    ["llama-bench baseline", [llamaBench, { ...llamaBench, bench: { repetitions: 2 } }], undefined],
    ["speculative adaptive, pinned host", [speculativeAdaptive], "host-a"],
    ["mixed", [baseline, speculativeAdaptive, parallel], undefined],
  ])("%s", (_name, cells, hostId) => {
    const shard: Shard = {
      shardId: "s1",
      key: { engine: "in-process", target: baseline.target, llama },
      cells,
      estimatedMs: 1234,
    };
    const job = hostId === undefined ? { sweepId: "sw1", shard } : { sweepId: "sw1", shard, hostId };
    expect(decodeShard(encodeShard(job))).toEqual(job);
  });

  it("rejects an unknown engine name from the wire", () => {
    const bad = { ...baseline, engine: "rm -rf" } as unknown as Cell;
    const shard: Shard = {
      shardId: "s1",
      key: { engine: "in-process", target: baseline.target, llama },
      cells: [bad],
      estimatedMs: 1,
    };
    expect(() => decodeShard(encodeShard({ sweepId: "sw", shard }))).toThrow(/cell.engine/);
  });
});

describe("cell result round trip", () => {
  const ok: CellResult = {
    sweepId: "sw1",
    cellId: "c-spec",
    hostId: "h1",
    shardId: "s1",
    attempt: 2,
    engine: "in-process",
    outcome: {
      status: "ok",
      backend: "cpu",
      metrics: {
        nDecoded: 8,
        decodeMs: 10,
        decodeTps: 800,
        wallMs: 20,
        nDrafted: 0,
        nAccept: 0,
        acceptByPosition: [1, 0.5],
      },
    },
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:01.000Z",
  };
  const failed: CellResult = {
    ...ok,
    outcome: {
      status: "failed",
      invalidReason: "crashed",
      message: "exit 139",
      stderrTail: "segfault",
      command: ["llama-cli", "-m", "x"],
    },
  };
  const measured: CellResult = {
    ...ok,
    outcome: {
      ...ok.outcome,
      metrics: {
        ...ok.outcome.metrics!,
        warmup: { nDecoded: 16, wallMs: 40, decodeTps: 700 },
        noise: {
          loadAvg1: 2.5,
          cores: 2,
          otherCpuCores: 1.33,
          ownCpuCores: 0.67,
          engineThreads: 1,
          idleCores: 0.67,
          windowMs: 1000,
          gpuUtilPct: 0,
          smClockMhz: 1980,
          contended: true,
          contendedReason: "other processes kept 1.33 of 2 cores busy",
        },
      },
    },
  };
  const quiet: CellResult = {
    ...ok,
    outcome: {
      ...ok.outcome,
      metrics: {
        ...ok.outcome.metrics!,
        warmup: { nDecoded: 4, wallMs: 9 },
        noise: {
          loadAvg1: 0,
          cores: 2,
          otherCpuCores: 0,
          ownCpuCores: 1,
          engineThreads: 1,
          idleCores: 2,
          windowMs: 80,
          contended: false,
        },
      },
    },
  };
  it.each([
    ["ok with zero-valued optionals kept", ok],
    ["failed with command", failed],
    ["warm-up and host noise (contended, GPU figures)", measured],
    ["warm-up without t/s, quiet host without GPU", quiet],
  ])("%s", (_name, result) => {
    expect(decodeCellResult(encodeCellResult(result))).toEqual(result);
  });
});

describe("agent info round trip (core/agent-info.ts <-> generated AgentInfo)", () => {
  const info: AgentInfo = {
    agentId: "gpu-1",
    name: "gpu-1",
    host: {
      hostId: "gpu-1",
      hostname: "box",
      os: "Linux",
      cpu: "x",
      cpuCores: 8,
      memoryMib: 32768,
      gpus: [
        {
          index: 0,
          name: "NVIDIA L4",
          uuid: "u",
          memoryTotalMib: 23034,
          memoryUsedMib: 1,
          driver: "550",
          computeCapability: "8.9",
          powerLimitW: 72,
        },
      ],
      llamaTools: [
        {
          tool: "llama-server",
          version: "b7000",
          buildNumber: 7000,
          capabilities: { specTypeDraftSimple: true, draftMax: "--spec-draft-n-max" },
        },
      ],
      engines: ["llama-server"],
      labels: { rack: "a" },
      agentVersion: "0.1.0",
    },
    models: [
      { sha256: "ab", file: "t.gguf", bytes: 10, facts: { blockCount: 2 } },
      { sha256: "cd", file: "d.gguf", bytes: 5 },
    ],
    alive: true,
    lastSeen: "2026-01-01T00:00:00.000Z",
    runningShards: ["s1"],
    slots: 2,
    instanceId: "i-1",
  };

  it("survives encode and decode with capabilities and GGUF facts parsed", () => {
    const wire = PbAgentInfo.decode(PbAgentInfo.encode(agentInfoToProto(info)).finish());
    expect(wire.host?.llamaBuilds[0]?.capabilitiesJson).toBe(
      JSON.stringify({ specTypeDraftSimple: true, draftMax: "--spec-draft-n-max" }),
    );
    expect(agentInfoFromProto(wire)).toEqual(info);
  });

  it("a registration's malformed capabilities are refused, naming the tool", () => {
    const host = agentInfoToProto(info).host!;
    host.llamaBuilds[0]!.capabilitiesJson = "{not json";
    expect(() => registrationFromProto({ name: "x", host, slots: 1 })).toThrow(
      /capabilities of llama-server/,
    );
    expect(registrationFromProto({ name: "x", slots: 1 })).toEqual({ name: "x", models: [], slots: 1 });
  });
});

describe("event round trip", () => {
  it("keeps every field", () => {
    const ev = {
      sweepId: "sw",
      kind: "cell-done",
      cellId: "c",
      hostId: "h",
      status: "ok",
      at: "t",
      cellsDone: 3,
      cellsTotal: 9,
    };
    expect(decodeEvent(encodeEvent(ev))).toEqual(ev);
  });
});

describe("grpc status", () => {
  function asServiceError(s: ReturnType<typeof toGrpcStatus>): ServiceError {
    return Object.assign(new Error(s.details), { code: s.code!, details: s.details!, metadata: s.metadata! });
  }
  it.each([
    [
      new ManifestError("m.yaml", [{ path: "sweep.k", message: "bad" }]),
      status.INVALID_ARGUMENT,
      "MANIFEST_INVALID",
    ],
    [new ConfigError("no"), status.INVALID_ARGUMENT, "CONFIG_INVALID"],
    [new SpecgridError("NO_ELIGIBLE_AGENT", "no agent"), status.FAILED_PRECONDITION, "NO_ELIGIBLE_AGENT"],
    [new SpecgridError("UNAUTHENTICATED", "token"), status.UNAUTHENTICATED, "UNAUTHENTICATED"],
    [new Error("boom"), status.UNAVAILABLE, "INTERNAL"],
  ])("%s -> status %s and back", (err, grpcCode, code) => {
    const s = toGrpcStatus(err);
    expect(s.code).toBe(grpcCode);
    const back = fromGrpcError(asServiceError(s));
    expect(back.code).toBe(code);
    expect(back.message).toBe(err.message);
  });

  it("maps a bare status without specgrid metadata", () => {
    const e = Object.assign(new Error("x"), {
      code: status.UNAUTHENTICATED,
      details: "nope",
      metadata: new Metadata(),
    });
    expect(fromGrpcError(e).code).toBe("UNAUTHENTICATED");
  });
});

describe("nats names", () => {
  it("pool names ignore model order and differ by engine, tools and memory", () => {
    const memory = { withDraft: true, ctx: 256, parallel: 1, gpuLayers: 0 };
    const needs = (
      engine: "in-process" | "llama-server",
      sha256s: string[],
      tools: ShardNeeds["tools"] = [],
    ) => requirementPool({ engine, sha256s, tools, memory });
    expect(needs("in-process", ["b", "a"])).toBe(needs("in-process", ["a", "b"]));
    expect(needs("in-process", ["a"])).not.toBe(needs("llama-server", ["a"]));
    expect(needs("llama-server", ["a"])).not.toBe(
      needs("llama-server", ["a"], [{ tool: "llama-server", flags: ["pMin"] }]),
    );
    expect(
      requirementPool({ engine: "in-process", sha256s: ["a"], tools: [], memory: { ...memory, ctx: 512 } }),
    ).not.toBe(needs("in-process", ["a"]));
    expect(needs("in-process", ["a"])).toMatch(/^req-[0-9a-f]{12}$/);
  });
  it("ids with dots cannot become subject tokens", () => {
    expect(() => resultsSubject("a.b")).toThrow(/sweep id/);
    expect(resultMsgId("sw", "c", "h")).toBe("sw.c.h");
    expect(shardMsgId("sw", "s", undefined)).toBe("sw.s.any");
  });
});
