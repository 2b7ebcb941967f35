// Streams, KV buckets and pool consumers. Idempotent: every coordinator start (and restart) calls it.
// Replicas: 1 on a single server, 3 on a 3-node cluster (so losing one node loses no job, result or state).
// Only 2.9-era config fields are used here (num_replicas), so nats-server 2.9.10 accepts every request.
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
import { ConfigError } from "../../core/errors.js";
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
  /** Done-marks agents write per placement (the coordinator removes those of results that never arrived). */
  done: KV;
}

async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subjects: string,
  retention: RetentionPolicy,
  replicas: number,
): Promise<void> {
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams
      .add({ name, subjects: [subjects], retention, storage: StorageType.File, num_replicas: replicas })
      .catch((err: unknown) => {
        throw replicasError(name, replicas, err);
      });
  }
  await ensureReplicas(jsm, name, replicas);
}

/**
 * A stream (or KV bucket) made by an earlier start with another replica count is scaled to the one asked
 * for now, so moving from one server to a cluster needs no manual `nats stream edit`.
 */
async function ensureReplicas(jsm: JetStreamManager, stream: string, replicas: number): Promise<void> {
  const info = await jsm.streams.info(stream);
  if ((info.config.num_replicas || 1) === replicas) return;
  await jsm.streams.update(stream, { ...info.config, num_replicas: replicas }).catch((err: unknown) => {
    throw replicasError(stream, replicas, err);
  });
}

function replicasError(stream: string, replicas: number, err: unknown): ConfigError {
  const why = err instanceof Error ? err.message : String(err);
  return new ConfigError(
    `could not create or scale JetStream stream ${stream} to ${replicas} replica(s): ${why}. ` +
      "Use --replicas 1 on a single nats-server and at most the number of cluster nodes (3 on the shipped cluster).",
    { stream, replicas },
  );
}

/**
 * @param replicas JetStream replicas of every stream and bucket: 1 on a single server, 3 on a 3-node cluster.
 */
export async function setupJetStream(
  nc: NatsConnection,
  jsm: JetStreamManager,
  agentTtlMs: number,
  replicas = 1,
): Promise<JetStreamState> {
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5)
    throw new ConfigError(`replicas must be an integer from 1 to 5, got ${replicas}`, { replicas });
  await ensureStream(jsm, JOBS_STREAM, JOBS_SUBJECTS, RetentionPolicy.Workqueue, replicas);
  await ensureStream(jsm, RESULTS_STREAM, RESULTS_SUBJECTS, RetentionPolicy.Limits, replicas);
  await ensureStream(jsm, EVENTS_STREAM, EVENTS_SUBJECTS, RetentionPolicy.Limits, replicas);
  const kvm = new Kvm(nc);
  const bucket = async (name: string, opts: { ttl?: number }): Promise<KV> => {
    const kv = await kvm
      .create(name, { history: 1, storage: StorageType.File, replicas, ...opts })
      .catch((err: unknown) => {
        throw replicasError(`KV_${name}`, replicas, err);
      });
    // kvm.create leaves an existing bucket's stream as it was
    await ensureReplicas(jsm, `KV_${name}`, replicas);
    return kv;
  };
  const sweeps = await bucket(SWEEPS_BUCKET, {});
  // bucket TTL drops agents that stopped heartbeating; 2.9 sends no event for it, so liveness is also timed here
  const agents = await bucket(AGENTS_BUCKET, { ttl: agentTtlMs });
  const done = await bucket(DONE_BUCKET, {});
  return { sweeps, agents, done };
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
