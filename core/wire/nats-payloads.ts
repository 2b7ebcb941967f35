// Bytes on NATS: every payload is a proto message from proto/gen, encoded and decoded only here.
import type { CellResult } from "../metrics.js";
import {
  CellResult as PbCellResult,
  Event as PbEvent,
  Shard as PbShard,
} from "../../proto/gen/specgrid/v1/types.js";
import type { Event as SweepEvent } from "../../proto/gen/specgrid/v1/types.js";
import { cellResultFromProto, cellResultToProto } from "./cell-result-wire.js";
import { shardFromProto, shardToProto, type ShardJob } from "./shard-wire.js";

export type { SweepEvent };

export function encodeShard(job: ShardJob): Uint8Array {
  return PbShard.encode(shardToProto(job)).finish();
}

export function decodeShard(bytes: Uint8Array): ShardJob {
  return shardFromProto(PbShard.decode(bytes));
}

export function encodeCellResult(result: CellResult): Uint8Array {
  return PbCellResult.encode(cellResultToProto(result)).finish();
}

export function decodeCellResult(bytes: Uint8Array): CellResult {
  return cellResultFromProto(PbCellResult.decode(bytes));
}

export function encodeEvent(event: SweepEvent): Uint8Array {
  return PbEvent.encode(event).finish();
}

export function decodeEvent(bytes: Uint8Array): SweepEvent {
  return PbEvent.decode(bytes);
}
