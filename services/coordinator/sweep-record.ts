// A sweep as the coordinator keeps it in the specgrid_sweeps bucket: enough to answer GetSweep, count
// progress and republish unpublished shards after a restart.
import type { KV } from "@nats-io/kv";
import type { Shard } from "../../core/cell.js";

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
  requirements: { pool: string; engine: string; sha256s: string[] }[];
}

export class SweepRecords {
  private readonly cache = new Map<string, SweepRecord>();

  constructor(private readonly kv: KV) {}

  async load(): Promise<SweepRecord[]> {
    for await (const key of await this.kv.keys()) {
      const entry = await this.kv.get(key);
      if (!entry || entry.length === 0) continue;
      const rec = entry.json<SweepRecord>();
      this.cache.set(rec.sweepId, rec);
    }
    return [...this.cache.values()];
  }

  get(sweepId: string): SweepRecord | undefined {
    return this.cache.get(sweepId);
  }

  all(): SweepRecord[] {
    return [...this.cache.values()].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
  }

  async save(rec: SweepRecord): Promise<void> {
    this.cache.set(rec.sweepId, rec);
    await this.kv.put(rec.sweepId, JSON.stringify(rec));
  }
}
