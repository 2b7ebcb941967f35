// The agent daemon: register with the coordinator, heartbeat, pull shards from the pools the coordinator
// names, run them with one engine, drain on stop. Everything it needs is passed in; the CLI builds it.
import { randomUUID } from "node:crypto";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstream, type Consumer, type JsMsg } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { EngineName } from "../../core/cell.js";
import { SpecgridError } from "../../core/errors.js";
import { DONE_BUCKET, JOBS_STREAM } from "../../core/nats-names.js";
import { natsLogin } from "../../core/nats-credentials.js";
import type { CoordinatorClient } from "../../core/wire/coordinator-client.js";
import type { ShardJob } from "../../core/wire/shard-wire.js";
import { decodeShard } from "../../core/wire/nats-payloads.js";
import type { LlamaBuild } from "../../proto/gen/specgrid/v1/types.js";
import type { Engine } from "../engines/engine.js";
import { resolveModelPath } from "../probe/resolve-model-path.js";
import { scanModels, type ModelFile } from "../probe/scan-models.js";
import { readGgufFacts } from "../../core/gguf/read-gguf-facts.js";
import type { CellLimits } from "../../core/cell-limits.js";
import { collectHostFacts, inventoryOf } from "./host-facts.js";
import { runShard } from "./run-shard.js";
import { SlotSemaphore } from "./slot-semaphore.js";

export interface AgentOptions {
  coordinator: CoordinatorClient;
  /** Agent name; also its id on the coordinator. @default os.hostname() */
  name?: string;
  modelDirs: string[];
  engineName: EngineName;
  engine: Engine;
  labels?: Record<string, string>;
  /** Probed llama.cpp tools, reported at registration. */
  llamaBuilds?: LlamaBuild[];
  /** Shards run at once. @default number of GPUs, or 1 on a CPU host */
  slots?: number;
  /** NATS URL; @default the one the coordinator hands out at registration */
  natsUrl?: string;
  logger: Logger;
  /** How long stop() lets running shards finish before releasing them. @default 30000 */
  drainTimeoutMs?: number;
  /** Wait of one pull request. @default 1000 */
  pullExpiresMs?: number;
  /** Skip nvidia-smi. */
  skipGpuProbe?: boolean;
  /** sha256 cache file for the model scan. */
  sha256CacheFile?: string;
  /** Bounds every incoming cell is held to before it runs. @default DEFAULT_CELL_LIMITS (core/cell-limits) */
  cellLimits?: CellLimits;
}

export interface RunningAgent {
  agentId: string;
  /** Stop pulling, let running shards finish (up to drainTimeoutMs), release the rest, disconnect. */
  stop(): Promise<void>;
}

interface PoolLoop {
  abort: AbortController;
  done: Promise<void>;
}

export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const name = o.name ?? os.hostname();
  const log = o.logger.child({ component: "agent", agent: name });
  // GGUF facts travel with the inventory so reports can estimate memory from the models that actually ran
  const scan = await scanModels(o.modelDirs, { cacheFile: o.sha256CacheFile, readFacts: readGgufFacts });
  for (const p of scan.problems) log.warn({ problem: p }, "model dir problem");
  const models: ModelFile[] = scan.models;
  const backend = await o.engine.describe().catch(() => undefined);
  // this process's claim on the name: a restarted agent gets a new one, a second agent never shares it
  const instanceId = randomUUID();
  const registerOnce = async () => {
    const host = await collectHostFacts({
      hostId: name,
      engines: [o.engineName],
      labels: o.labels ?? {},
      engineBackend: backend,
      llamaBuilds: o.llamaBuilds,
      skipGpuProbe: o.skipGpuProbe,
    });
    const slots = o.slots ?? Math.max(1, host.gpus.length);
    const res = await o.coordinator.register({
      name,
      host,
      inventory: { models: inventoryOf(models) },
      slots,
      instanceId,
    });
    return { res, slots };
  };
  const { res: registered, slots } = await registerTakingOver(registerOnce, log);
  const agentId = registered.agentId;
  log.info({ agentId, models: models.length, slots }, "registered");

  // nats.js ignores credentials inside URLs: split them into connect options
  const nc: NatsConnection = await connect({
    ...natsLogin(o.natsUrl ?? registered.natsUrl),
    name: `specgrid-agent-${agentId}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  const js = jetstream(nc);
  const done = await new Kvm(nc).open(DONE_BUCKET);
  const semaphore = new SlotSemaphore(slots);
  const cancelled = new Set<string>();
  const running = new Map<string, AbortController>();
  const runningDone = new Set<Promise<unknown>>();
  const pools = new Map<string, PoolLoop>();
  const stopping = new AbortController();

  const resolveModels = async (job: ShardJob) => {
    const targetPath = await resolveModelPath(job.shard.key.target, models, o.modelDirs);
    const draftPath = job.shard.key.draft
      ? await resolveModelPath(job.shard.key.draft, models, o.modelDirs)
      : undefined;
    return draftPath === undefined ? { targetPath } : { targetPath, draftPath };
  };

  const handle = (m: JsMsg, consumerInfo: { ackWaitMs: number; maxDeliver: number }): void => {
    const key = `${m.subject}#${m.seq}`;
    const abort = new AbortController();
    running.set(key, abort);
    const p = runShard(
      m,
      {
        js,
        done,
        engine: o.engine,
        hostId: agentId,
        logger: log,
        resolveModels,
        isCancelled: (s) => cancelled.has(s),
        ...(o.cellLimits === undefined ? {} : { cellLimits: o.cellLimits }),
        ...consumerInfo,
      },
      abort.signal,
    )
      .catch((err: unknown) => log.error({ err: String(err) }, "shard handler failed"))
      .finally(() => {
        running.delete(key);
        runningShardIds.delete(key);
        semaphore.release();
        runningDone.delete(p);
      });
    runningDone.add(p);
  };
  const runningShardIds = new Map<string, string>();

  const pullLoop = async (pool: string, signal: AbortSignal): Promise<void> => {
    let consumer: Consumer | undefined;
    let info = { ackWaitMs: 30_000, maxDeliver: 5 };
    let delivered = false;
    while (!signal.aborted) {
      if (!(await semaphore.acquire(signal, delivered))) break;
      let handed = false;
      try {
        if (!consumer) {
          consumer = await js.consumers.get(JOBS_STREAM, pool);
          const ci = await consumer.info(true);
          info = { ackWaitMs: (ci.config.ack_wait ?? 30e9) / 1e6, maxDeliver: ci.config.max_deliver ?? 5 };
        }
        const m = await consumer.next({ expires: o.pullExpiresMs ?? 1_000 });
        delivered = m !== null;
        if (m) {
          if (signal.aborted) {
            m.nak();
          } else {
            handed = true;
            runningShardIds.set(`${m.subject}#${m.seq}`, shardLabel(m));
            handle(m, info);
          }
        }
      } catch (err) {
        consumer = undefined;
        delivered = false;
        if (!signal.aborted) {
          log.debug({ pool, err: String(err) }, "pull failed; retrying");
          await sleep(500);
        }
      } finally {
        if (!handed) semaphore.release();
      }
    }
  };

  const setPools = (wanted: string[]): void => {
    for (const pool of wanted) {
      if (pools.has(pool) || stopping.signal.aborted) continue;
      const abort = new AbortController();
      pools.set(pool, { abort, done: pullLoop(pool, abort.signal) });
      log.info({ pool }, "pulling from pool");
    }
    for (const [pool, loop] of pools) {
      if (!wanted.includes(pool)) {
        loop.abort.abort();
        pools.delete(pool);
      }
    }
  };

  let heartbeatMs = registered.heartbeatMs || 5_000;
  const heartbeat = async (): Promise<void> => {
    try {
      const res = await o.coordinator.heartbeat({
        agentId,
        runningShards: [...runningShardIds.values()],
        freeSlots: semaphore.available,
        instanceId,
      });
      if (res.reregister) {
        log.info("coordinator asked to register again");
        const again = await registerOnce().catch((err: unknown) => {
          // another agent holds the name now: stop pulling (its results would be stored as ours) and ask
          // again at the next heartbeat
          if (err instanceof SpecgridError && err.code === "AGENT_NAME_TAKEN") setPools([]);
          throw err;
        });
        heartbeatMs = again.res.heartbeatMs || heartbeatMs;
        return;
      }
      for (const s of res.cancelledSweeps) cancelled.add(s);
      if (res.cancelledSweeps.length > 0) {
        for (const [key, label] of runningShardIds) {
          if (res.cancelledSweeps.some((s) => label.startsWith(`${s}/`))) running.get(key)?.abort();
        }
      }
      setPools(res.pools);
    } catch (err) {
      // the coordinator may be restarting; shards keep running and pools keep being pulled
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "heartbeat failed");
    }
  };
  await heartbeat();
  const heartbeatLoop = (async () => {
    while (!stopping.signal.aborted) {
      await sleep(heartbeatMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      if (!stopping.signal.aborted) await heartbeat();
    }
  })();

  return {
    agentId,
    async stop() {
      stopping.abort();
      for (const loop of pools.values()) loop.abort.abort();
      await Promise.all([...pools.values()].map((l) => l.done));
      await heartbeatLoop;
      const drained = Promise.all([...runningDone]);
      const timer = setTimeout(() => {
        for (const a of running.values()) a.abort();
      }, o.drainTimeoutMs ?? 30_000);
      await drained;
      clearTimeout(timer);
      await nc.drain().catch(() => undefined);
      await o.engine.dispose().catch(() => undefined);
      log.info("agent stopped");
    },
  };
}

/**
 * Registers; while the coordinator says the name is held by a live agent, keeps trying for one liveness
 * period (the holder may be this agent's own killed predecessor, not yet noticed dead), then gives up with
 * the coordinator's message.
 */
async function registerTakingOver<T>(register: () => Promise<T>, log: Logger): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await register();
    } catch (err) {
      if (!(err instanceof SpecgridError) || err.code !== "AGENT_NAME_TAKEN") throw err;
      const livenessMs = Number(err.details.livenessMs ?? 15_000);
      if (Date.now() - started > livenessMs + 1_000) throw err;
      log.warn({ err: err.message }, "name held by a live agent; retrying until it goes silent");
      await sleep(Math.min(1_000, livenessMs / 3));
    }
  }
}

function shardLabel(m: JsMsg): string {
  // "sweep/shard" for ListAgents and per-host progress
  try {
    const job = decodeShard(m.data);
    return `${job.sweepId}/${job.shard.shardId}`;
  } catch {
    return m.subject;
  }
}
