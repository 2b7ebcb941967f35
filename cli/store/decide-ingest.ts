// Which of two results for the same (sweep, cell, host) the store keeps. Results arrive at least once and
// in any order (redelivery, retries on another attempt), so the rule must not depend on arrival order.
import type { CellStatus } from "../../core/metrics.js";

export interface ResultVersion {
  status: CellStatus;
  attempt: number;
  finishedAt: string;
}

/** ok beats invalid beats failed: a valid measurement is never replaced by a later failed retry. */
const STATUS_RANK: Record<CellStatus, number> = { ok: 2, invalid: 1, failed: 0 };

/**
 * `duplicate`: the incoming result is the stored one again, or a worse one; nothing changes.
 * `replace`: the incoming result is better (status), or as good and newer (attempt, then finish time).
 */
export function decideIngest(stored: ResultVersion, incoming: ResultVersion): "duplicate" | "replace" {
  const rankDiff = STATUS_RANK[incoming.status] - STATUS_RANK[stored.status];
  if (rankDiff !== 0) return rankDiff > 0 ? "replace" : "duplicate";
  if (incoming.attempt !== stored.attempt) return incoming.attempt > stored.attempt ? "replace" : "duplicate";
  return incoming.finishedAt > stored.finishedAt ? "replace" : "duplicate";
}
