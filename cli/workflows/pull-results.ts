// `results pull`: reads SPECGRID_RESULTS through a durable pull consumer named after this database, so a
// second pull resumes where the first stopped and another database pulls the same results independently.
// Messages are acked only after their batch is committed: a crash mid-pull redelivers, and ingest is
// idempotent, so nothing is lost or stored twice.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import type { JetStreamManager } from "@nats-io/jetstream";
import { connect, nanos } from "@nats-io/transport-node";

import { ConfigError } from "../../core/errors.js";
import { natsLogin } from "../../core/nats-credentials.js";
import type { CellResult } from "../../core/metrics.js";
import {
  RESULTS_STREAM,
  assertSubjectToken,
  resultsSubject,
  RESULTS_SUBJECTS,
} from "../../core/nats-names.js";
import { decodeCellResult } from "../../core/wire/index.js";
import type { Store } from "../store/open-store.js";
import { StoreError } from "../store/store-error.js";
import type { IngestCounts } from "../store/store-records.js";

export interface PullOptions {
  /** NATS server URLs, e.g. `nats://127.0.0.1:4222`. */
  natsServers: string | string[];
  store: Store;
  /** Durable consumer name. @default derived from the database id (and the sweep filter) */
  durable?: string;
  /** Only this sweep's results. @default every sweep on the stream */
  sweepId?: string;
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
  /** Stop once no message arrived for this long (the stream is caught up). @default 1500 */
  idleMs?: number;
  /** Messages per fetch and per ingest transaction. @default 1000 */
  batchSize?: number;
  /** NATS auth token, when the server needs one. */
  token?: string;
  /**
   * How long to keep waiting when the consumer has run dry but the stream leader holds more messages than
   * it delivered (a cluster replica catching up after a failover). @default 30000
   */
  catchUpMs?: number;
  /** Keep pulling when caught up, until `signal` aborts (live ingest while a sweep runs). @default false */
  follow?: boolean;
  /** The server removes this database's durable after this long without a pull. @default 30 days */
  consumerInactiveMs?: number;
}

/** Consecutive failed fetches a pull retries before it gives up with the last error. */
const MAX_STALLS = 5;

/** Default lifetime of an idle pull durable: long enough for any pause between pulls of a live database. */
export const CONSUMER_INACTIVE_MS = 30 * 24 * 3600_000;

export interface PullProgress extends IngestCounts {
  received: number;
  /** Messages that are not CellResults (terminated on the stream so they are not redelivered). */
  undecodable: number;
  /**
   * Fetches that ended in an error (the server's heartbeats missed for two intervals: a stalled or starved
   * nats-server; a 409 such as a leadership change) and were retried; what each had delivered was kept.
   */
  stalled: number;
  /** Messages the consumer still has to deliver, as of the last batch. */
  pending: number;
  /**
   * Messages the stream leader holds that this consumer had not delivered when the pull stopped (a replica
   * still catching up): non-zero means pull again.
   */
  behind?: number;
}

export interface PullSummary extends PullProgress {
  durable: string;
  sweepIds: string[];
}

/** One durable per (database, filter): a durable's filter cannot change, and databases must not share one. */
export function pullDurableName(dbId: string, sweepId?: string): string {
  const base = `specgrid-pull-${dbId.replace(/[^A-Za-z0-9_-]/g, "")}`;
  return sweepId === undefined ? base : `${base}-${assertSubjectToken(sweepId, "sweep id")}`;
}

export async function pullResults(opts: PullOptions): Promise<PullSummary> {
  const idleMs = opts.idleMs ?? 1500;
  const batchSize = opts.batchSize ?? 1000;
  const durable = opts.durable ?? pullDurableName(opts.store.dbId, opts.sweepId);
  // a cluster is named as a comma-separated list; credentials in URLs become connect options (nats.js
  // ignores them inside URLs), and only the redacted form goes into messages
  const urls = (Array.isArray(opts.natsServers) ? opts.natsServers : [opts.natsServers]).join(",");
  const login = natsLogin(urls, opts.token === undefined ? {} : { token: opts.token });
  const nc = await connect({
    ...login,
    name: `specgrid-pull-${opts.store.dbId.slice(0, 8)}`,
  }).catch((err: unknown) => {
    throw new ConfigError(
      `cannot reach NATS at ${login.servers.join(", ")} (${err instanceof Error ? err.message : String(err)}). ` +
        "Check --nats, and that the coordinator's NATS server is running.",
      { servers: login.servers },
    );
  });
  const summary: PullSummary = {
    durable,
    sweepIds: [],
    received: 0,
    inserted: 0,
    updated: 0,
    duplicates: 0,
    undecodable: 0,
    stalled: 0,
    pending: 0,
  };
  const sweeps = new Set<string>();
  const filter = opts.sweepId === undefined ? RESULTS_SUBJECTS : resultsSubject(opts.sweepId);
  const catchUpDeadline = Date.now() + (opts.catchUpMs ?? 30_000);
  try {
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.info(RESULTS_STREAM);
    } catch {
      throw new ConfigError(
        `NATS at ${login.servers.join(", ")} has no ${RESULTS_STREAM} stream: no coordinator has run there yet. ` +
          "Check --nats points at the coordinator's NATS server.",
        { servers: login.servers },
      );
    }
    const inactive = nanos(opts.consumerInactiveMs ?? CONSUMER_INACTIVE_MS);
    try {
      const info = await jsm.consumers.info(RESULTS_STREAM, durable);
      // durables made before the threshold existed get it now, so they too are removed when abandoned
      if (info.config.inactive_threshold !== inactive)
        await jsm.consumers
          .update(RESULTS_STREAM, durable, { inactive_threshold: inactive })
          .catch(() => undefined);
    } catch {
      await jsm.consumers.add(RESULTS_STREAM, {
        durable_name: durable,
        filter_subject: filter,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(60_000),
        max_ack_pending: Math.max(10_000, batchSize * 2),
        // one durable per database and filter would otherwise pile up forever; one that is removed after
        // a long silence costs nothing but a re-read (the next pull starts over and ingest dedupes)
        inactive_threshold: inactive,
      });
    }
    const consumer = await jetstream(nc).consumers.get(RESULTS_STREAM, durable);
    /** Fetches in a row that ended in an error. */
    let stalls = 0;

    while (opts.signal?.aborted !== true) {
      // Drain each fetch into an array before the (synchronous) ingest: a slow handler inside the fetch
      // loop makes the v3 client report missed heartbeats.
      const msgs: JsMsg[] = [];
      try {
        const iter = await consumer.fetch({ max_messages: batchSize, expires: Math.max(idleMs, 1000) });
        for await (const m of iter) msgs.push(m);
        stalls = 0;
      } catch (err) {
        // A fetch that ends in an error still delivered what it received before: those messages are stored
        // and acked below like any batch. Dropped, they would stay pending on this durable for the ack wait
        // (60 s), and a pull that ends meanwhile (run's final pull, which stops once nothing more comes)
        // would leave them out of the database: a run that stopped its live pull this way lost a shard.
        summary.stalled++;
        if (nc.isClosed() || ++stalls > MAX_STALLS) {
          for (const m of msgs) m.nak();
          throw new Error(
            `pulling ${RESULTS_STREAM} from ${login.servers.join(", ")} failed ${stalls} time(s) in a row ` +
              `(${err instanceof Error ? err.message : String(err)}); nothing unstored was acknowledged, so ` +
              "`specgrid results pull` gets the rest once the server answers again",
            { cause: err },
          );
        }
        if (msgs.length === 0) {
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
      }
      if (msgs.length === 0 && opts.follow === true) continue;
      if (msgs.length === 0) {
        // a consumer reads its own node's copy of the stream; on a cluster that node may still be catching
        // up after a failover, so "nothing more" is believed only once the stream leader agrees
        const behind = await consumerBehind(jsm, durable, filter).catch(() => 0);
        summary.behind = behind;
        if (behind > 0 && Date.now() < catchUpDeadline) {
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        break;
      }

      const results: CellResult[] = [];
      const decoded: JsMsg[] = [];
      for (const m of msgs) {
        try {
          results.push(decodeCellResult(m.data));
          decoded.push(m);
        } catch {
          summary.undecodable++;
          m.term();
        }
      }
      let counts: IngestCounts;
      try {
        counts = opts.store.ingestResults(results);
      } catch (err) {
        // Acks follow the commit, so a batch that could not be stored was not acked; nak'd, JetStream
        // delivers it again to the next pull of this database at once (a crash leaves it to the 60 s ack wait).
        for (const m of decoded) m.nak();
        if (err instanceof StoreError)
          throw new StoreError(
            "STORE_UNAVAILABLE",
            `${err.message} None of these ${results.length} results was acknowledged: they stay on ` +
              `${RESULTS_STREAM}, and \`specgrid results pull\` gets them again once the problem is fixed.`,
            err.details,
            err,
          );
        throw err;
      }
      for (const m of decoded) m.ack();
      for (const r of results) sweeps.add(r.sweepId);
      summary.received += msgs.length;
      summary.inserted += counts.inserted;
      summary.updated += counts.updated;
      summary.duplicates += counts.duplicates;
      summary.pending = msgs.at(-1)?.info.pending ?? 0;
      opts.onProgress?.({ ...summary });
    }
    // Acks are fire-and-forget; make sure the server has them before the connection closes.
    await nc.flush();
  } finally {
    await nc.drain().catch(() => nc.close());
  }
  summary.sweepIds = [...sweeps].sort();
  return summary;
}

/**
 * How many of the messages the stream leader holds on `filter` the durable has not delivered yet: the
 * leader's count (stream info) against the consumer's deliveries.
 */
async function consumerBehind(jsm: JetStreamManager, durable: string, filter: string): Promise<number> {
  const [stream, consumer] = await Promise.all([
    jsm.streams.info(RESULTS_STREAM, { subjects_filter: filter }),
    jsm.consumers.info(RESULTS_STREAM, durable),
  ]);
  const held = Object.values(stream.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  // consumer_seq also counts redeliveries: it can only make this smaller, so the pull never waits for nothing
  return Math.max(0, held - consumer.delivered.consumer_seq);
}

/** How long a command waits for results the coordinator counted to reach its database: the ack wait + 15 s. */
const COUNTED_WAIT_MS = 75_000;

/**
 * The sweep's results in the database, pulled again until they are at least the `counted` the coordinator
 * saw on the stream (one row per placement; a shard that ran twice can add rows, never remove one), or until
 * `waitMs` has passed. `run` and `reproduce` must not report on a sweep with results missing from their
 * database: a batch an earlier pull held and did not acknowledge comes back only after the stream's 60 s ack
 * wait. Returns how many are stored; `onWait` hears how many are missing before it starts waiting.
 */
export async function awaitCounted(
  store: Pick<Store, "listSweeps">,
  sweepId: string,
  counted: number,
  pullAgain: () => Promise<void>,
  opts: { onWait?: (missing: number) => void; waitMs?: number } = {},
): Promise<number> {
  const stored = (): number => store.listSweeps(sweepId)[0]?.results ?? 0;
  const deadline = Date.now() + (opts.waitMs ?? COUNTED_WAIT_MS);
  let have = stored();
  if (have < counted) opts.onWait?.(counted - have);
  while (have < counted && Date.now() < deadline) {
    await pullAgain();
    have = stored();
  }
  return have;
}

/** The warning when `awaitCounted` gave up, with how to get the rest. */
export function missingResultsWarning(stored: number, counted: number, howToGetThem: string): string {
  return (
    `${counted - stored} of the ${counted} results the coordinator counted are not in the database; ` +
    howToGetThem
  );
}
