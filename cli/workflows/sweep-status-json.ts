// The --json shape of a sweep's status (snake_case), shared by sweep status/watch/cancel/list and run.
import type { SweepStatus } from "../../core/wire/generated.js";

export interface SweepStatusJson {
  sweep_id: string;
  name: string;
  state: string;
  cells: { total: number; done: number; valid: number; invalid: number; failed: number };
  hosts: {
    host_id: string;
    name: string;
    done: number;
    valid: number;
    failed: number;
    current_shard?: string;
  }[];
  submitted_at: string;
  finished_at?: string;
}

export function sweepStatusJson(s: SweepStatus): SweepStatusJson {
  return {
    sweep_id: s.sweepId,
    name: s.name,
    state: s.state,
    cells: { total: s.placementsTotal, done: s.done, valid: s.valid, invalid: s.invalid, failed: s.failed },
    hosts: s.hosts.map((h) => ({
      host_id: h.hostId,
      name: h.name,
      done: h.done,
      valid: h.valid,
      failed: h.failed,
      ...(h.currentShard === undefined ? {} : { current_shard: h.currentShard }),
    })),
    submitted_at: s.submittedAt,
    ...(s.finishedAt === undefined ? {} : { finished_at: s.finishedAt }),
  };
}
