// Cells and shard keys between core types and the proto messages. The proto side uses strings where core
// uses unions; values arriving from the wire are checked here so a bad payload fails in one place.
import type { Cell, EngineName, KPolicy, LlamaSettings, ModelRef, ShardKey } from "../cell.js";
import { ENGINE_NAMES } from "../cell.js";
import { SpecgridError } from "../errors.js";
import type * as pb from "../../proto/gen/specgrid/v1/types.js";

const CELL_KINDS = ["baseline", "speculative", "parallel", "bench"] as const;
const FLASH_ATTN = ["auto", "on", "off"] as const;

function oneOf<T extends string>(allowed: readonly T[], value: string, field: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new SpecgridError(
    "WIRE_INVALID",
    `wire payload: ${field} = "${value}" is not one of ${allowed.join(", ")}`,
  );
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new SpecgridError("WIRE_INVALID", `wire payload: ${field} is missing`);
  return value;
}

export function modelRefToProto(m: ModelRef): pb.ModelRef {
  return { name: m.name, file: m.file, sha256: m.sha256 };
}

export function modelRefFromProto(m: pb.ModelRef): ModelRef {
  const out: ModelRef = { name: m.name };
  if (m.file !== undefined) out.file = m.file;
  if (m.sha256 !== undefined) out.sha256 = m.sha256;
  return out;
}

export function llamaToProto(l: LlamaSettings): pb.LlamaSettings {
  return { gpuLayers: l.gpuLayers, ctx: l.ctx, threads: l.threads, flashAttn: l.flashAttn, batch: l.batch };
}

export function llamaFromProto(l: pb.LlamaSettings): LlamaSettings {
  const out: LlamaSettings = {
    gpuLayers: l.gpuLayers,
    ctx: l.ctx,
    flashAttn: oneOf(FLASH_ATTN, l.flashAttn, "llama.flash_attn"),
  };
  if (l.threads !== undefined) out.threads = l.threads;
  if (l.batch !== undefined) out.batch = l.batch;
  return out;
}

export function kPolicyToProto(k: KPolicy): pb.KPolicy {
  if (k.kind === "fixed") {
    return { kind: "fixed", k: k.k, kMin: 0, kMax: 0, kStart: 0, raiseAbove: 0, lowerBelow: 0 };
  }
  return {
    kind: "adaptive",
    k: 0,
    kMin: k.kMin,
    kMax: k.kMax,
    kStart: k.kStart,
    raiseAbove: k.raiseAbove,
    lowerBelow: k.lowerBelow,
  };
}

export function kPolicyFromProto(k: pb.KPolicy): KPolicy {
  const kind = oneOf(["fixed", "adaptive"] as const, k.kind, "k.kind");
  if (kind === "fixed") return { kind, k: k.k };
  return {
    kind,
    kMin: k.kMin,
    kMax: k.kMax,
    kStart: k.kStart,
    raiseAbove: k.raiseAbove,
    lowerBelow: k.lowerBelow,
  };
}

export function cellToProto(c: Cell): pb.Cell {
  return {
    cellId: c.cellId,
    kind: c.kind,
    engine: c.engine,
    target: modelRefToProto(c.target),
    draft: c.draft === undefined ? undefined : modelRefToProto(c.draft),
    k: c.k === undefined ? undefined : kPolicyToProto(c.k),
    pMin: c.pMin,
    temperature: c.temperature,
    prompt: c.prompt,
    promptHash: c.promptHash,
    promptIndex: c.promptIndex,
    nPredict: c.nPredict,
    seed: c.seed,
    repeat: c.repeat,
    concurrency: c.concurrency,
    requests: c.requests,
    llama: llamaToProto(c.llama),
    pairedWith: c.pairedWith,
    nParallel: c.nParallel,
    pSplit: c.pSplit,
    category: c.category,
    specType: c.specType,
    specSettings: c.specSettings ?? {},
    bench: c.bench === undefined ? undefined : { repetitions: c.bench.repetitions, nPrompt: c.bench.nPrompt },
  };
}

export function cellFromProto(c: pb.Cell): Cell {
  const out: Cell = {
    cellId: c.cellId,
    kind: oneOf(CELL_KINDS, c.kind, "cell.kind"),
    engine: oneOf<EngineName>(ENGINE_NAMES, c.engine, "cell.engine"),
    target: modelRefFromProto(required(c.target, "cell.target")),
    temperature: c.temperature,
    prompt: c.prompt,
    promptHash: c.promptHash,
    promptIndex: c.promptIndex,
    nPredict: c.nPredict,
    seed: c.seed,
    repeat: c.repeat,
    llama: llamaFromProto(required(c.llama, "cell.llama")),
  };
  if (c.draft !== undefined) out.draft = modelRefFromProto(c.draft);
  if (c.k !== undefined) out.k = kPolicyFromProto(c.k);
  if (c.pMin !== undefined) out.pMin = c.pMin;
  if (c.concurrency !== undefined) out.concurrency = c.concurrency;
  if (c.requests !== undefined) out.requests = c.requests;
  if (c.pairedWith !== undefined) out.pairedWith = c.pairedWith;
  if (c.nParallel !== undefined) out.nParallel = c.nParallel;
  if (c.pSplit !== undefined) out.pSplit = c.pSplit;
  if (c.category !== undefined) out.category = c.category;
  if (c.specType !== undefined) out.specType = c.specType;
  if (Object.keys(c.specSettings).length > 0) out.specSettings = { ...c.specSettings };
  if (c.bench !== undefined) {
    out.bench = { repetitions: c.bench.repetitions };
    if (c.bench.nPrompt !== undefined) out.bench.nPrompt = c.bench.nPrompt;
  }
  return out;
}

export function shardKeyToProto(k: ShardKey): pb.ShardKey {
  return {
    engine: k.engine,
    target: modelRefToProto(k.target),
    draft: k.draft === undefined ? undefined : modelRefToProto(k.draft),
    llama: llamaToProto(k.llama),
  };
}

export function shardKeyFromProto(k: pb.ShardKey): ShardKey {
  const out: ShardKey = {
    engine: oneOf<EngineName>(ENGINE_NAMES, k.engine, "shard.key.engine"),
    target: modelRefFromProto(required(k.target, "shard.key.target")),
    llama: llamaFromProto(required(k.llama, "shard.key.llama")),
  };
  if (k.draft !== undefined) out.draft = modelRefFromProto(k.draft);
  return out;
}
