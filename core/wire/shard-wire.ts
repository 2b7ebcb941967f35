// A shard as it travels on SPECGRID_JOBS: the core shard plus the sweep it belongs to and, for every-host
// and selector placement, the one host allowed to run it.
import type { Shard } from "../cell.js";
import { SpecgridError } from "../errors.js";
import type * as pb from "../../proto/gen/specgrid/v1/types.js";
import { cellFromProto, cellToProto, shardKeyFromProto, shardKeyToProto } from "./cell-wire.js";

export interface ShardJob {
  sweepId: string;
  shard: Shard;
  /** Set when the placement pins the shard to one host. */
  hostId?: string;
}

export function shardToProto(job: ShardJob): pb.Shard {
  return {
    sweepId: job.sweepId,
    shardId: job.shard.shardId,
    key: shardKeyToProto(job.shard.key),
    cells: job.shard.cells.map(cellToProto),
    estimatedMs: Math.round(job.shard.estimatedMs),
    hostId: job.hostId,
  };
}

export function shardFromProto(p: pb.Shard): ShardJob {
  if (p.key === undefined)
    throw new SpecgridError("WIRE_INVALID", `wire payload: shard ${p.shardId} has no key`);
  const job: ShardJob = {
    sweepId: p.sweepId,
    shard: {
      shardId: p.shardId,
      key: shardKeyFromProto(p.key),
      cells: p.cells.map(cellFromProto),
      estimatedMs: p.estimatedMs,
    },
  };
  if (p.hostId !== undefined) job.hostId = p.hostId;
  return job;
}
