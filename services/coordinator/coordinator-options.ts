// What the coordinator needs from its host process. Timeouts are options so tests can run in seconds.
import type { Logger } from "pino";
import type { Manifest } from "../../core/manifest/manifest.js";
import type { Cell, Shard } from "../../core/cell.js";

/** Parses manifest YAML whose prompts are already inline (the client resolved prompt files). */
export type ParseManifestFn = (yamlText: string, file: string) => Manifest;

export interface PlannedSweep {
  cells: Cell[];
  shards: Shard[];
  warnings: string[];
}

/** Expands a resolved (models pinned by sha256) manifest into cells and shards. */
export type PlanSweepFn = (manifest: Manifest) => PlannedSweep;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA for client certificates; when given, clients must present one. */
  caFile?: string;
}

export interface CoordinatorOptions {
  /** gRPC listen address. @default "127.0.0.1:7400" (port 0 picks a free port) */
  listen?: string;
  natsUrl: string;
  /** NATS URL handed to agents in RegisterResponse. @default natsUrl */
  advertisedNatsUrl?: string;
  /** Bearer token every RPC must carry. */
  token: string;
  tls?: TlsFiles;
  parseManifest: ParseManifestFn;
  planSweep: PlanSweepFn;
  logger: Logger;
  /** Interval agents heartbeat at. @default 5000 */
  heartbeatMs?: number;
  /** An agent silent this long is dead (not eligible, not listed alive). @default 3 × heartbeatMs */
  livenessMs?: number;
  /** Jobs consumers' ack wait; agents call working() well inside it. @default 30000 */
  ackWaitMs?: number;
  /** Deliveries of one shard before it is given up and its cells recorded failed. @default 5 */
  maxDeliver?: number;
  /**
   * A running sweep with placements still missing, no counted result for this long, no agent running any
   * of its shards and nothing queued in its pools has lost results on the way: its missing cells are
   * published again (services/coordinator/requeue-stalled.ts). @default 2 × livenessMs
   */
  requeueAfterMs?: number;
  /**
   * JetStream replicas of specgrid's streams and KV buckets: 1 on a single server, 3 on a 3-node cluster
   * (survives the loss of one node). Existing streams are scaled to it at start. @default 1
   */
  replicas?: number;
  /**
   * Directory for the coordinator's copy of the results it counted (one file per running sweep, removed when
   * the sweep ends), from which a result the stream lost is put back (services/coordinator/result-spill.ts).
   * @default a fresh temp dir, removed at stop
   */
  resultCopyDir?: string;
}

export interface ResolvedTimeouts {
  heartbeatMs: number;
  livenessMs: number;
  ackWaitMs: number;
  maxDeliver: number;
  requeueAfterMs: number;
}

export function resolveTimeouts(o: CoordinatorOptions): ResolvedTimeouts {
  const heartbeatMs = o.heartbeatMs ?? 5_000;
  const livenessMs = o.livenessMs ?? heartbeatMs * 3;
  return {
    heartbeatMs,
    livenessMs,
    requeueAfterMs: o.requeueAfterMs ?? livenessMs * 2,
    ackWaitMs: o.ackWaitMs ?? 30_000,
    maxDeliver: o.maxDeliver ?? 5,
  };
}
