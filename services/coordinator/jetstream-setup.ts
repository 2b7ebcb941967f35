// Streams, KV buckets and pool consumers. Idempotent: every coordinator start (and restart) calls it.
import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { nanos } from "@nats-io/transport-node";
import {
  AGENTS_BUCKET,
  EVENTS_STREAM,
  EVENTS_SUBJECTS,
  JOBS_STREAM,
  JOBS_SUBJECTS,
  RESULTS_STREAM,
  RESULTS_SUBJECTS,
  SWEEPS_BUCKET,
  DONE_BUCKET,
  jobsSubject,
} from "../../core/nats-names.js";

export interface JetStreamState {
  sweeps: KV;
  agents: KV;
}

async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subjects: string,
  retention: RetentionPolicy,
): Promise<void> {
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams.add({ name, subjects: [subjects], retention, storage: StorageType.File });
  }
}

export async function setupJetStream(
  nc: NatsConnection,
  jsm: JetStreamManager,
  agentTtlMs: number,
): Promise<JetStreamState> {
  await ensureStream(jsm, JOBS_STREAM, JOBS_SUBJECTS, RetentionPolicy.Workqueue);
  await ensureStream(jsm, RESULTS_STREAM, RESULTS_SUBJECTS, RetentionPolicy.Limits);
  await ensureStream(jsm, EVENTS_STREAM, EVENTS_SUBJECTS, RetentionPolicy.Limits);
  const kvm = new Kvm(nc);
  const sweeps = await kvm.create(SWEEPS_BUCKET, { history: 1, storage: StorageType.File });
  // bucket TTL drops agents that stopped heartbeating; 2.9 sends no event for it, so liveness is also timed here
  const agents = await kvm.create(AGENTS_BUCKET, { history: 1, ttl: agentTtlMs, storage: StorageType.File });
  await kvm.create(DONE_BUCKET, { history: 1, storage: StorageType.File });
  return { sweeps, agents };
}

/** One durable pull consumer per pool, filtered on the pool's subject (work queues allow only disjoint filters). */
export async function ensurePoolConsumer(
  jsm: JetStreamManager,
  pool: string,
  ackWaitMs: number,
  maxDeliver: number,
): Promise<void> {
  try {
    await jsm.consumers.info(JOBS_STREAM, pool);
  } catch {
    await jsm.consumers.add(JOBS_STREAM, {
      durable_name: pool,
      filter_subject: jobsSubject(pool),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ackWaitMs),
      max_deliver: maxDeliver,
      max_ack_pending: 1000,
    });
  }
}
