// The last gate before a sweep is called done: read the sweep's results back from SPECGRID_RESULTS and
// check every placement the coordinator counted is still there. On a cluster a node failover can leave the
// stream without a message the coordinator already saw (it was delivered, then lost with the node that held
// it, or a retried publish was deduped against a copy that was never stored); such a result is published
// again from the coordinator's copy (result-spill.ts) and the check repeats, so "done" always means "all
// stored".
import { setTimeout as sleep } from "node:timers/promises";
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { CellStatus } from "../../core/metrics.js";
import { RESULTS_STREAM, resultMsgId, resultsSubject } from "../../core/nats-names.js";
import { decodeCellResult } from "../../core/wire/nats-payloads.js";
import type { CountedPlacement } from "./progress-tracker.js";

export interface ConfirmStoredDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
  logger: Logger;
  /** Placement key of a result, as the progress tracker counts it. */
  keyOf(cellId: string, hostId: string): string;
  /** Rounds of read back → restore before giving up (the caller retries later). @default 5 */
  rounds?: number;
  /** Longest wait for the next message while reading the sweep back. @default 5000 */
  readIdleMs?: number;
}

export interface ConfirmSummary {
  /** Placements checked against the stream. */
  checked: number;
  /** Results published again because the stream had lost them. */
  restored: number;
}

/** Statuses the stream holds per placement of one sweep, read through a fresh ordered consumer. */
export async function storedStatuses(
  d: Pick<ConfirmStoredDeps, "js" | "jsm" | "keyOf" | "readIdleMs">,
  sweepId: string,
): Promise<Map<string, CellStatus[]>> {
  const subject = resultsSubject(sweepId);
  const out = new Map<string, CellStatus[]>();
  // the stream leader's count: a consumer reads its own node's copy, and a node that just rejoined after a
  // failover may still be catching up (it then runs out of messages early). A short read proves nothing,
  // so it is an error (retried), never a reason to publish results again.
  const info = await d.jsm.streams.info(RESULTS_STREAM, { subjects_filter: subject });
  const expected = info.state.subjects?.[subject] ?? 0;
  if (expected === 0) return out;
  let read = 0;
  const consumer = await d.js.consumers.get(RESULTS_STREAM, {
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.All,
  });
  const messages = await consumer.consume({ expires: 2_000 });
  const idleMs = d.readIdleMs ?? 5_000;
  let idle: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      timedOut = true;
      messages.stop();
    }, idleMs);
  };
  arm();
  try {
    for await (const m of messages) {
      arm();
      read++;
      try {
        const r = decodeCellResult(m.data);
        const key = d.keyOf(r.cellId, r.hostId);
        out.set(key, [...(out.get(key) ?? []), r.outcome.status]);
      } catch {
        // unreadable messages count for nothing, as in the tracker
      }
      if (m.info.pending === 0) break;
    }
  } finally {
    clearTimeout(idle);
    messages.stop();
  }
  if (timedOut) throw new Error(`reading ${subject} back stalled for ${idleMs} ms`);
  if (read < expected)
    throw new Error(
      `read ${read} of the ${expected} messages the stream leader holds on ${subject} (a replica still catching up)`,
    );
  return out;
}

function held(statuses: CellStatus[] | undefined, counted: CellStatus): boolean {
  if (statuses === undefined) return false;
  // a counted valid or invalid result needs that kind on the stream; a counted failure needs any result
  return counted === "failed" ? statuses.length > 0 : statuses.some((s) => s !== "failed");
}

/**
 * Resolves once the stream holds every counted placement (publishing lost ones again); throws when it still
 * does not after `rounds` tries, or when the stream cannot be read (the caller must not call the sweep done).
 */
export async function confirmStored(
  d: ConfirmStoredDeps,
  sweepId: string,
  counted: () => CountedPlacement[],
  /** The encoded result a placement was counted from (the coordinator's copy). */
  copyOf: (p: CountedPlacement) => Promise<Uint8Array | undefined>,
): Promise<ConfirmSummary> {
  const rounds = d.rounds ?? 5;
  let restored = 0;
  for (let round = 1; ; round++) {
    const placements = counted();
    const stored = await storedStatuses(d, sweepId);
    const missing = placements.filter((p) => !held(stored.get(p.key), p.status));
    if (missing.length === 0) return { checked: placements.length, restored };
    if (round > rounds)
      throw new Error(
        `${missing.length} counted result(s) of ${sweepId} are still missing from ${RESULTS_STREAM} after ${rounds} restores`,
      );
    d.logger.warn(
      { sweep: sweepId, missing: missing.length, cells: missing.slice(0, 5).map((p) => p.key), round },
      "counted results missing from the results stream (lost in a NATS failover); publishing them again",
    );
    for (const p of missing) {
      const data = await copyOf(p);
      if (data === undefined)
        throw new Error(
          `${RESULTS_STREAM} lost the counted result of ${sweepId} placement ${p.key} and the coordinator kept no copy of it`,
        );
      const base =
        p.stored?.msgId ?? resultMsgId(sweepId, p.cellId, p.key.endsWith("|any") ? undefined : p.hostId);
      const opts = { expect: { streamName: RESULTS_STREAM } };
      let ack = await d.js.publish(resultsSubject(sweepId), data, { ...opts, msgID: base });
      // deduped against a copy the read-back did not find: that copy is the lost one, so use a fresh id
      if (ack.duplicate)
        ack = await d.js.publish(resultsSubject(sweepId), data, {
          ...opts,
          msgID: `${base}.restored-${Date.now()}-${round}`,
        });
      restored++;
      d.logger.info({ sweep: sweepId, placement: p.key, seq: ack.seq }, "result restored to the stream");
    }
    await sleep(200 * round);
  }
}
