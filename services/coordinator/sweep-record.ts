// A sweep as the coordinator keeps it in the specgrid_sweeps bucket: enough to answer GetSweep, count
// progress and republish unpublished shards after a restart. Only the head (state, placements, pools) is
// held in memory; the shard list, every cell with its prompt, stays in the bucket and is read when needed.
import type { KV } from "@nats-io/kv";
import type { Shard } from "../../core/cell.js";
import type { ShardNeeds } from "../../core/plan/shard-needs.js";

export type SweepState = "running" | "done" | "failed" | "cancelled";

/** A finished sweep's counts, stored with it: its results are not counted again after a restart. */
export interface SettledCounts {
  done: number;
  valid: number;
  invalid: number;
  failed: number;
  perHost: Record<string, { done: number; valid: number; failed: number }>;
}

/** One shard published to one pool (every-host publishes a shard once per host). */
export interface ShardPlacement {
  shardId: string;
  pool: string;
  /** Set when pinned to one host. */
  hostId?: string;
}

export interface SweepRecord {
  sweepId: string;
  name: string;
  state: SweepState;
  submittedAt: string;
  finishedAt?: string;
  manifestYaml: string;
  manifestResolvedJson: string;
  /** "spread": placements count once per cell; otherwise once per (cell, host). */
  spread: boolean;
  /** One per shard (per host for every-host); the shards themselves are read with SweepRecords.shards(). */
  placements: ShardPlacement[];
  placementsTotal: number;
  /** Set once every placement was published (a restart republishes otherwise; msg ids dedupe). */
  published: boolean;
  /** Spread pools with what an agent must hold to pull from them. */
  requirements: ({ pool: string } & ShardNeeds)[];
  /** Set when the sweep ended (done, failed, cancelled); a result that arrives later no longer counts. */
  settledCounts?: SettledCounts;
}

/**
 * Shards carry every cell with its prompt, so a large sweep's record outgrows nats-server's max_payload
 * (1 MiB by default; about 2,500 cells). The shard list is stored once, split into pieces under keys of its
 * own; the record's head names how many pieces to read back. Held in memory for the life of the sweep it
 * made the coordinator grow with every cell (docs/scaling.md), so it is read back when needed instead.
 */
const PIECE_BYTES = 512 * 1024;
const PIECE_MARK = ".shards.";

interface StoredHead extends SweepRecord {
  shardPieces?: number;
  /** Records saved before shards were split off carry them inline. */
  shards?: Shard[];
}

export class SweepRecords {
  private readonly cache = new Map<string, SweepRecord>();
  /** Pieces of each sweep's shard list in the bucket. */
  private readonly pieces = new Map<string, number>();
  /** Per sweep, the last shard-list read or write: a read never sees pieces half rewritten. */
  private readonly shardOps = new Map<string, Promise<unknown>>();

  constructor(private readonly kv: KV) {}

  async load(): Promise<SweepRecord[]> {
    for await (const key of await this.kv.keys()) {
      if (key.includes(PIECE_MARK)) continue;
      const entry = await this.kv.get(key);
      if (!entry || entry.length === 0) continue;
      const { shardPieces, shards, ...head } = entry.json<StoredHead>();
      this.cache.set(head.sweepId, head);
      if (shardPieces !== undefined) this.pieces.set(head.sweepId, shardPieces);
      else {
        // an old record with its shards inline: split them off once, as a new record is stored
        await this.saveShards(head.sweepId, shards ?? []);
        await this.save(head);
      }
    }
    return [...this.cache.values()];
  }

  get(sweepId: string): SweepRecord | undefined {
    return this.cache.get(sweepId);
  }

  all(): SweepRecord[] {
    return [...this.cache.values()].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
  }

  private serially<T>(sweepId: string, op: () => Promise<T>): Promise<T> {
    const next = (this.shardOps.get(sweepId) ?? Promise.resolve()).catch(() => undefined).then(op);
    this.shardOps.set(sweepId, next);
    return next;
  }

  /** The sweep's shard list, read from its pieces in the bucket. */
  shards(sweepId: string): Promise<Shard[]> {
    return this.serially(sweepId, async () => {
      const count = this.pieces.get(sweepId);
      if (count === undefined) throw new Error(`sweep ${sweepId}: no shard list stored`);
      // pieces are byte ranges of the UTF-8 text: join the bytes, then decode once
      const bytes: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        const piece = await this.kv.get(`${sweepId}${PIECE_MARK}${i}`);
        if (!piece || piece.length === 0) throw new Error(`sweep ${sweepId}: shard piece ${i} is missing`);
        bytes.push(piece.value);
      }
      return JSON.parse(Buffer.concat(bytes).toString("utf8")) as Shard[];
    });
  }

  /**
   * Stores the sweep's whole shard list (at submit, and again when adaptive repeats add shards); save() the
   * head afterwards, so a head is never visible before the shards it names.
   */
  saveShards(sweepId: string, shards: readonly Shard[]): Promise<void> {
    return this.serially(sweepId, async () => {
      // written a shard at a time: the JSON of a 100,000-cell list is never one string in memory
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let written = 0;
      const put = async (piece: Buffer): Promise<void> => {
        await this.kv.put(`${sweepId}${PIECE_MARK}${written}`, piece);
        written++;
      };
      const add = async (text: string): Promise<void> => {
        const b = Buffer.from(text, "utf8");
        pending.push(b);
        pendingBytes += b.length;
        while (pendingBytes >= PIECE_BYTES) {
          const all = Buffer.concat(pending);
          await put(all.subarray(0, PIECE_BYTES));
          pending = [all.subarray(PIECE_BYTES)];
          pendingBytes = all.length - PIECE_BYTES;
        }
      };
      await add("[");
      for (const [i, shard] of shards.entries()) await add((i === 0 ? "" : ",") + JSON.stringify(shard));
      await add("]");
      if (pendingBytes > 0) await put(Buffer.concat(pending));
      this.pieces.set(sweepId, written);
    });
  }

  /** Stores the head: state, placements and pools, naming the shard pieces saveShards() wrote. */
  async save(rec: SweepRecord): Promise<void> {
    const shardPieces = this.pieces.get(rec.sweepId);
    if (shardPieces === undefined) throw new Error(`sweep ${rec.sweepId}: save its shards before its head`);
    this.cache.set(rec.sweepId, rec);
    const stored: StoredHead = { ...rec, shardPieces };
    await this.kv.put(rec.sweepId, JSON.stringify(stored));
  }
}
