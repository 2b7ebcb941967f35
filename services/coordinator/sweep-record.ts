// A sweep as the coordinator keeps it in the specgrid_sweeps bucket: enough to answer GetSweep, count
// progress and republish unpublished shards after a restart.
import type { KV } from "@nats-io/kv";
import type { Shard } from "../../core/cell.js";
import type { ShardNeeds } from "../../core/plan/shard-needs.js";

export type SweepState = "running" | "done" | "failed" | "cancelled";

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
  shards: Shard[];
  placements: ShardPlacement[];
  placementsTotal: number;
  /** Set once every placement was published (a restart republishes otherwise; msg ids dedupe). */
  published: boolean;
  /** Spread pools with what an agent must hold to pull from them. */
  requirements: ({ pool: string } & ShardNeeds)[];
}

/**
 * Shards carry every cell with its prompt, so a large sweep's record outgrows nats-server's max_payload
 * (1 MiB by default; about 2,500 cells). The shard list is stored once, split into pieces under keys of its
 * own; the record's head names how many pieces to read back.
 */
const PIECE_BYTES = 512 * 1024;
const PIECE_MARK = ".shards.";

interface StoredHead extends Omit<SweepRecord, "shards"> {
  shardPieces?: number;
  /** Records saved before shards were split off carry them inline. */
  shards?: Shard[];
}

export class SweepRecords {
  private readonly cache = new Map<string, SweepRecord>();
  /** Sweeps whose shard pieces are in the bucket already (shards change only when repeats are added). */
  private readonly piecesSaved = new Set<string>();

  constructor(private readonly kv: KV) {}

  async load(): Promise<SweepRecord[]> {
    for await (const key of await this.kv.keys()) {
      if (key.includes(PIECE_MARK)) continue;
      const entry = await this.kv.get(key);
      if (!entry || entry.length === 0) continue;
      const { shardPieces, shards, ...head } = entry.json<StoredHead>();
      let all = shards ?? [];
      if (shardPieces !== undefined) {
        // pieces are byte ranges of the UTF-8 text: join the bytes, then decode once
        const bytes: Uint8Array[] = [];
        for (let i = 0; i < shardPieces; i++) {
          const piece = await this.kv.get(`${head.sweepId}${PIECE_MARK}${i}`);
          if (!piece || piece.length === 0)
            throw new Error(`sweep ${head.sweepId}: shard piece ${i} is missing`);
          bytes.push(piece.value);
        }
        const text = Buffer.concat(bytes).toString("utf8");
        all = JSON.parse(text) as Shard[];
        this.piecesSaved.add(head.sweepId);
      }
      this.cache.set(head.sweepId, { ...head, shards: all });
    }
    return [...this.cache.values()];
  }

  get(sweepId: string): SweepRecord | undefined {
    return this.cache.get(sweepId);
  }

  all(): SweepRecord[] {
    return [...this.cache.values()].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
  }

  /** The sweep's shard list grew (adaptive repeats): the next save writes its pieces again. */
  shardsChanged(sweepId: string): void {
    this.piecesSaved.delete(sweepId);
  }

  async save(rec: SweepRecord): Promise<void> {
    this.cache.set(rec.sweepId, rec);
    const { shards, ...head } = rec;
    const bytes = Buffer.from(JSON.stringify(shards), "utf8");
    const shardPieces = Math.max(1, Math.ceil(bytes.length / PIECE_BYTES));
    // pieces first: a head is never visible before the shards it names
    if (!this.piecesSaved.has(rec.sweepId)) {
      for (let i = 0; i < shardPieces; i++)
        await this.kv.put(
          `${rec.sweepId}${PIECE_MARK}${i}`,
          bytes.subarray(i * PIECE_BYTES, (i + 1) * PIECE_BYTES),
        );
      this.piecesSaved.add(rec.sweepId);
    }
    const stored: StoredHead = { ...head, shardPieces };
    await this.kv.put(rec.sweepId, JSON.stringify(stored));
  }
}
