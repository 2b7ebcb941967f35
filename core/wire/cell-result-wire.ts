// Cell results as published on SPECGRID_RESULTS. Optional fields stay absent (not zero) across the
// round trip so the store can tell "not measured" from 0.
import {
  CELL_STATUSES,
  INVALID_REASONS,
  METRIC_FIELDS,
  type CellMetrics,
  type CellOutcome,
  type CellResult,
  type CellStatus,
  type InvalidReason,
  type MetricField,
} from "../metrics.js";
import { SpecgridError } from "../errors.js";
import type { HostNoise, WarmupRecord } from "../measurement-protocol.js";
import type * as pb from "../../proto/gen/specgrid/v1/types.js";

// Keys of CellMetrics that are optional scalars: copied only when present (lists and messages below).
const OPTIONAL_METRICS = METRIC_FIELDS.filter(
  (f) => !f.required && f.type !== "reals" && f.type !== "message",
).map((f) => f.key);

/** A compile error here names a metric field the generated proto type lacks. */
const _protoHasEveryField: Exclude<MetricField["key"], keyof pb.CellMetrics> extends never ? true : never =
  true;
void _protoHasEveryField;

function noiseToProto(n: HostNoise): pb.HostNoise {
  return {
    loadAvg1: n.loadAvg1,
    cores: n.cores,
    otherCpuCores: n.otherCpuCores,
    ownCpuCores: n.ownCpuCores,
    engineThreads: n.engineThreads,
    idleCores: n.idleCores,
    windowMs: n.windowMs,
    gpuUtilPct: n.gpuUtilPct,
    smClockMhz: n.smClockMhz,
    contended: n.contended,
    contendedReason: n.contendedReason,
  };
}

function noiseFromProto(n: pb.HostNoise): HostNoise {
  const out: HostNoise = {
    loadAvg1: n.loadAvg1,
    cores: n.cores,
    otherCpuCores: n.otherCpuCores,
    ownCpuCores: n.ownCpuCores,
    engineThreads: n.engineThreads,
    idleCores: n.idleCores,
    windowMs: n.windowMs,
    contended: n.contended,
  };
  if (n.gpuUtilPct !== undefined) out.gpuUtilPct = n.gpuUtilPct;
  if (n.smClockMhz !== undefined) out.smClockMhz = n.smClockMhz;
  if (n.contendedReason !== undefined) out.contendedReason = n.contendedReason;
  return out;
}

function warmupFromProto(w: pb.Warmup): WarmupRecord {
  const out: WarmupRecord = { nDecoded: w.nDecoded, wallMs: w.wallMs };
  if (w.decodeTps !== undefined) out.decodeTps = w.decodeTps;
  return out;
}

export function metricsToProto(m: CellMetrics): pb.CellMetrics {
  const out: pb.CellMetrics = {
    nDecoded: m.nDecoded,
    decodeMs: m.decodeMs,
    decodeTps: m.decodeTps,
    wallMs: m.wallMs,
    acceptByPosition: m.acceptByPosition ?? [],
    acceptedByPosition: m.acceptedByPosition ?? [],
    perSequenceTps: m.perSequenceTps ?? [],
  };
  for (const key of OPTIONAL_METRICS) {
    if (m[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = m[key];
  }
  if (m.warmup !== undefined) out.warmup = { ...m.warmup };
  if (m.noise !== undefined) out.noise = noiseToProto(m.noise);
  return out;
}

export function metricsFromProto(m: pb.CellMetrics): CellMetrics {
  const out: CellMetrics = {
    nDecoded: m.nDecoded,
    decodeMs: m.decodeMs,
    decodeTps: m.decodeTps,
    wallMs: m.wallMs,
  };
  if (m.acceptByPosition.length > 0) out.acceptByPosition = m.acceptByPosition;
  if (m.acceptedByPosition.length > 0) out.acceptedByPosition = m.acceptedByPosition;
  if (m.perSequenceTps.length > 0) out.perSequenceTps = m.perSequenceTps;
  for (const key of OPTIONAL_METRICS) {
    if (m[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = m[key];
  }
  if (m.warmup !== undefined) out.warmup = warmupFromProto(m.warmup);
  if (m.noise !== undefined) out.noise = noiseFromProto(m.noise);
  return out;
}

export function outcomeToProto(o: CellOutcome): pb.CellOutcome {
  return {
    status: o.status,
    invalidReason: o.invalidReason,
    message: o.message,
    metrics: o.metrics === undefined ? undefined : metricsToProto(o.metrics),
    stderrTail: o.stderrTail,
    command: o.command ?? [],
    backend: o.backend,
  };
}

export function outcomeFromProto(o: pb.CellOutcome): CellOutcome {
  if (!(CELL_STATUSES as readonly string[]).includes(o.status)) {
    throw new SpecgridError(
      "WIRE_INVALID",
      `wire payload: outcome.status = "${o.status}" is not ${CELL_STATUSES.join("/")}`,
    );
  }
  const out: CellOutcome = { status: o.status as CellStatus };
  if (o.invalidReason !== undefined) {
    // An unknown reason from a newer agent is kept as "error" rather than rejecting the whole result.
    out.invalidReason = (INVALID_REASONS as readonly string[]).includes(o.invalidReason)
      ? (o.invalidReason as InvalidReason)
      : "error";
  }
  if (o.message !== undefined) out.message = o.message;
  if (o.metrics !== undefined) out.metrics = metricsFromProto(o.metrics);
  if (o.stderrTail !== undefined) out.stderrTail = o.stderrTail;
  if (o.command.length > 0) out.command = o.command;
  if (o.backend !== undefined) out.backend = o.backend;
  return out;
}

export function cellResultToProto(r: CellResult): pb.CellResult {
  return {
    sweepId: r.sweepId,
    cellId: r.cellId,
    hostId: r.hostId,
    shardId: r.shardId,
    attempt: r.attempt,
    engine: r.engine,
    outcome: outcomeToProto(r.outcome),
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

export function cellResultFromProto(r: pb.CellResult): CellResult {
  if (r.outcome === undefined) {
    throw new SpecgridError("WIRE_INVALID", `wire payload: result for cell ${r.cellId} has no outcome`);
  }
  return {
    sweepId: r.sweepId,
    cellId: r.cellId,
    hostId: r.hostId,
    shardId: r.shardId,
    attempt: r.attempt,
    engine: r.engine,
    outcome: outcomeFromProto(r.outcome),
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}
