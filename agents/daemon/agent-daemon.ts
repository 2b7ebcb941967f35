// The agent daemon: register with the coordinator, heartbeat, pull shards from the pools the coordinator
// names, run them with one engine, drain on stop. Everything it needs is passed in; the CLI builds it.
import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstream, type Consumer, type JsMsg } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { Cell, EngineName } from "../../core/cell.js";
import { SpecgridError } from "../../core/errors.js";
import { CONTROL_SUBJECT, DONE_BUCKET, JOBS_STREAM } from "../../core/nats-names.js";
import { natsLogin } from "../../core/nats-credentials.js";
import type { CoordinatorClient } from "../../core/wire/coordinator-client.js";
import type { ShardJob } from "../../core/wire/shard-wire.js";
import { decodeShard } from "../../core/wire/nats-payloads.js";
import type { LlamaBuild } from "../../core/wire/generated.js";
import type { Engine } from "../engines/engine.js";
import { HostNoiseMonitor } from "../probe/host-noise-probe.js";
import { resolveModelPath } from "../probe/resolve-model-path.js";
import { startVramSampler } from "../probe/vram-sampler.js";
import { scanModels, type ModelFile } from "../probe/scan-models.js";
import { Sha256Cache } from "../probe/sha256-cache.js";
import { readGgufFacts } from "../../core/gguf/read-gguf-facts.js";
import type { CellLimits } from "../../core/cell-limits.js";
import { collectHostFacts, inventoryOf } from "./host-facts.js";
import { engineThreadsOf, runShard } from "./run-shard.js";
import { SlotSemaphore } from "./slot-semaphore.js";

export interface AgentOptions {
  coordinator: CoordinatorClient;
  /** Agent name; also its id on the coordinator. @default os.hostname() */
  name?: string;
  modelDirs: string[];
  engineName: EngineName;
  engine: Engine;
  /**
   * Engines run beside `engine` for shards of their own (llama-bench baselines, core/engines.ts
   * `companion`); the agent registers them among its engines.
   */
  companions?: ReadonlyMap<EngineName, Engine>;
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
  /**
   * How often the model dirs are scanned again (new files hashed, known ones from the sha256 cache) and the
   * agent registers again when its inventory changed. 0: only on rescanModels() (SIGHUP in `agent start`),
   * on the coordinator's rescan request and before registering again. @default 60000
   */
  rescanMs?: number;
  /** Bounds every incoming cell is held to before it runs. @default DEFAULT_CELL_LIMITS (core/cell-limits) */
  cellLimits?: CellLimits;
}

/** What one rescan of the model dirs found. */
export interface ModelRescan {
  /** Why it ran: "SIGHUP", "refresh", "coordinator", "register", "model not held". */
  reason: string;
  /** File names added and removed (a file whose content changed is in both). */
  added: string[];
  removed: string[];
  /** Files hashed by this scan (the rest came from the sha256 cache). */
  hashed: number;
  /** The agent registered again with the new inventory. */
  registered: boolean;
  models: number;
}

export interface RunningAgent {
  agentId: string;
  /** Scan the model dirs again and register again when the inventory changed (one scan at a time). */
  rescanModels(reason?: string): Promise<ModelRescan>;
  /** Stop pulling, let running shards finish (up to drainTimeoutMs), release the rest, disconnect. */
  stop(): Promise<void>;
}

type RegisterAfter = "changed" | "always" | "never";

interface PoolLoop {
  abort: AbortController;
  done: Promise<void>;
}

export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const name = o.name ?? os.hostname();
  const log = o.logger.child({ component: "agent", agent: name });
  // one sha256 cache and one facts memo for the agent's life: a rescan hashes and reads only new files
  const sha256Cache = await Sha256Cache.open(o.sha256CacheFile);
  const factsMemo = new Map<string, { sizeBytes: number; mtimeMs: number; facts: unknown }>();
  const readFacts = async (file: string): Promise<unknown> => {
    const st = await stat(file);
    const hit = factsMemo.get(file);
    if (hit && hit.sizeBytes === st.size && hit.mtimeMs === st.mtimeMs) return hit.facts;
    const facts = await readGgufFacts(file);
    factsMemo.set(file, { sizeBytes: st.size, mtimeMs: st.mtimeMs, facts });
    return facts;
  };
  // GGUF facts travel with the inventory so reports can estimate memory from the models that actually ran
  const scanOnce = async () => {
    const scan = await scanModels(o.modelDirs, { cache: sha256Cache, readFacts });
    for (const p of scan.problems) log.warn({ problem: p }, "model dir problem");
    return scan;
  };
  let models: ModelFile[] = (await scanOnce()).models;
  const backend = await o.engine.describe().catch(() => undefined);
  // this process's claim on the name: a restarted agent gets a new one, a second agent never shares it
  const instanceId = randomUUID();
  let gpuCount = 0;
  const registerOnce = async () => {
    const host = await collectHostFacts({
      hostId: name,
      engines: [o.engineName, ...(o.companions?.keys() ?? [])],
      labels: o.labels ?? {},
      engineBackend: backend,
      llamaBuilds: o.llamaBuilds,
      skipGpuProbe: o.skipGpuProbe,
    });
    const slots = o.slots ?? Math.max(1, host.gpus.length);
    gpuCount = host.gpus.length;
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

  // one rescan at a time; a request made while one runs waits for it and then scans again
  let rescanChain: Promise<unknown> = Promise.resolve();
  let pendingRegister = false;
  /** register: "changed" registers again when the inventory changed; "always" also when not (the coordinator
   * waits for that registration as the answer to its request); "never": the caller registers next. */
  const rescanNow = async (reason: string, register: RegisterAfter): Promise<ModelRescan> => {
    const before = new Map(models.map((m) => [`${m.file}\u0000${m.sha256}`, m.file]));
    const scan = await scanOnce();
    const after = new Map(scan.models.map((m) => [`${m.file}\u0000${m.sha256}`, m.file]));
    const added = [...after].filter(([k]) => !before.has(k)).map(([, f]) => f);
    const removed = [...before].filter(([k]) => !after.has(k)).map(([, f]) => f);
    models = scan.models;
    const changed = added.length > 0 || removed.length > 0;
    // a registration that failed after an earlier rescan is owed still
    const owe = changed || pendingRegister || register === "always";
    let registeredAgain = false;
    if (owe && register !== "never") {
      try {
        await registerOnce();
        registeredAgain = true;
        pendingRegister = false;
      } catch (err) {
        // the next refresh tries again; the new models are usable here already
        pendingRegister = true;
        log.warn({ err: err instanceof Error ? err.message : String(err) }, "register after rescan failed");
      }
    } else if (owe) {
      pendingRegister = false; // the caller registers right after
    }
    const result: ModelRescan = {
      reason,
      added,
      removed,
      hashed: scan.hashed,
      registered: registeredAgain,
      models: models.length,
    };
    if (changed || reason !== "refresh") log.info(result, "models rescanned");
    return result;
  };
  const rescan = (reason: string, register: RegisterAfter = "changed"): Promise<ModelRescan> => {
    const next = rescanChain.then(() => rescanNow(reason, register));
    rescanChain = next.catch(() => undefined);
    return next;
  };

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
  /** "sweep/shard" of each running message, for heartbeats and cancels. */
  const runningShardIds = new Map<string, string>();
  const runningDone = new Set<Promise<unknown>>();
  const pools = new Map<string, PoolLoop>();
  const stopping = new AbortController();

  // GPU utilisation and SM clock per cell where the host has GPUs
  const noiseMonitor = new HostNoiseMonitor(
    gpuCount > 0 ? { startGpuSampler: () => startVramSampler() } : {},
  ).start();
  const measureNoise = (cell: Cell) => noiseMonitor.measure(engineThreadsOf(cell));

  const resolveOnce = async (job: ShardJob) => {
    const targetPath = await resolveModelPath(job.shard.key.target, models, o.modelDirs);
    const draftPath = job.shard.key.draft
      ? await resolveModelPath(job.shard.key.draft, models, o.modelDirs)
      : undefined;
    return draftPath === undefined ? { targetPath } : { targetPath, draftPath };
  };
  const held = (ref: ShardJob["shard"]["key"]["target"]): boolean =>
    models.some((m) => (ref.sha256 !== undefined ? m.sha256 === ref.sha256 : m.file === ref.file));
  const resolveModels = async (job: ShardJob) => {
    const { target, draft } = job.shard.key;
    // a model this agent does not hold (yet): the file may have been copied in since the last scan
    if (!held(target) || (draft !== undefined && !held(draft))) await rescan("model not held");
    return resolveOnce(job);
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
        ...(o.companions === undefined ? {} : { companions: o.companions }),
        hostId: agentId,
        logger: log,
        resolveModels,
        isCancelled: (s) => cancelled.has(s),
        measureNoise,
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
  // Pulls in flight: a pool added later (a new sweep) stops them, so an agent whose one slot waits out a 1 s
  // pull on a pool with nothing in it starts the new work at once. A JetStream pull cannot expire sooner
  // than 1 s; without this the new pool's first shard waited for that expiry (0.98 s of the real-sweep tiny
  // grid's 4.8 s). A pull in flight found its pool empty when it was asked; should a shard land there in the
  // moment between the stop and the server dropping the request, it is delivered again after ack_wait.
  const idlePulls = new Map<string, { stop(): void }>();
  const pullLoop = async (pool: string, signal: AbortSignal): Promise<void> => {
    let consumer: Consumer | undefined;
    let info = { ackWaitMs: 30_000, maxDeliver: 5 };
    let delivered = false;
    while (!signal.aborted) {
      // a pool that looked empty, on an agent with no free slot: watch its backlog instead of queueing last,
      // so work that arrives here gets its turn beside the pool the agent is busy with (fair across pools)
      const hasWork =
        delivered ||
        (consumer !== undefined &&
          semaphore.available === 0 &&
          (await backlogArrives(consumer, semaphore, o.pullExpiresMs ?? 1_000, signal)));
      if (!(await semaphore.acquire(signal, hasWork))) break;
      let handed = false;
      try {
        if (!consumer) {
          consumer = await js.consumers.get(JOBS_STREAM, pool);
          const ci = await consumer.info(true);
          info = { ackWaitMs: (ci.config.ack_wait ?? 30e9) / 1e6, maxDeliver: ci.config.max_deliver ?? 5 };
        }
        const m = await pullOne(consumer, o.pullExpiresMs ?? 1_000, (batch) =>
          idlePulls.set(pool, batch),
        ).finally(() => idlePulls.delete(pool));
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
    if (wanted.some((pool) => !pools.has(pool))) {
      for (const pull of idlePulls.values()) pull.stop();
      idlePulls.clear();
    }
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
        await rescan("register", "never");
        const again = await registerOnce().catch((err: unknown) => {
          // another agent holds the name now: stop pulling (its results would be stored as ours) and ask
          // again at the next heartbeat
          if (err instanceof SpecgridError && err.code === "AGENT_NAME_TAKEN") setPools([]);
          throw err;
        });
        heartbeatMs = again.res.heartbeatMs || heartbeatMs;
        return;
      }
      // not awaited: hashing a new multi-GB file must not hold up the heartbeats that keep the agent alive
      if (res.rescanModels) {
        rescan("coordinator", "always").catch((err: unknown) =>
          log.warn({ err: err instanceof Error ? err.message : String(err) }, "model rescan failed"),
        );
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
  // a submit or cancel announced by the coordinator: heartbeat now, so the new pools (or the cancel) reach
  // this agent in milliseconds instead of up to a heartbeat later; one that lands while a heartbeat is in
  // flight ends the next wait at once, since that heartbeat may have been answered before the change
  let wake = new AbortController();
  nc.subscribe(CONTROL_SUBJECT, { callback: () => wake.abort() });
  const heartbeatLoop = (async () => {
    while (!stopping.signal.aborted) {
      const signal = AbortSignal.any([stopping.signal, wake.signal]);
      await sleep(heartbeatMs, undefined, { signal }).catch(() => undefined);
      if (wake.signal.aborted) wake = new AbortController();
      if (!stopping.signal.aborted) await heartbeat();
    }
  })();

  const rescanMs = o.rescanMs ?? 60_000;
  const refreshLoop = (async () => {
    if (rescanMs <= 0) return;
    while (!stopping.signal.aborted) {
      await sleep(rescanMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      if (stopping.signal.aborted) break;
      await rescan("refresh").catch((err: unknown) =>
        log.warn({ err: err instanceof Error ? err.message : String(err) }, "model rescan failed"),
      );
    }
  })();

  return {
    agentId,
    rescanModels: (reason = "request") => rescan(reason),
    async stop() {
      stopping.abort();
      noiseMonitor.stop();
      // each step waits on the coordinator or NATS, either of which may be gone: none may hold the exit
      const bounded = (p: Promise<unknown>, ms = 3_000): Promise<unknown> =>
        Promise.race([p.catch(() => undefined), sleep(ms)]);
      await bounded(refreshLoop);
      for (const loop of pools.values()) loop.abort.abort();
      await bounded(Promise.all([...pools.values()].map((l) => l.done)));
      await bounded(heartbeatLoop);
      const drained = Promise.all([...runningDone]);
      const timer = setTimeout(() => {
        for (const a of running.values()) a.abort();
      }, o.drainTimeoutMs ?? 30_000);
      await drained;
      clearTimeout(timer);
      await bounded(nc.drain());
      if (!nc.isClosed()) await nc.close().catch(() => undefined);
      await o.engine.dispose().catch(() => undefined);
      for (const c of o.companions?.values() ?? []) await c.dispose().catch(() => undefined);
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

/**
 * One shard from the pool, or null when none came within `expiresMs` or the pull was stopped. `started`
 * gets the pull in flight, for a caller that may stop it (see idlePulls).
 */
async function pullOne(
  consumer: Consumer,
  expiresMs: number,
  started: (pull: { stop(): void }) => void,
): Promise<JsMsg | null> {
  const batch = await consumer.fetch({ max_messages: 1, expires: expiresMs });
  started(batch);
  for await (const m of batch) return m;
  return null;
}

/**
 * Waits until the pool has undelivered messages (true) or a slot is free (false: pull the usual way), asking
 * the server every `pollMs`; false too when aborted or the consumer cannot be asked.
 */
async function backlogArrives(
  consumer: Consumer,
  semaphore: SlotSemaphore,
  pollMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  while (!signal.aborted && semaphore.available === 0) {
    try {
      if ((await consumer.info()).num_pending > 0) return true;
    } catch {
      return false;
    }
    await sleep(pollMs, undefined, { signal }).catch(() => undefined);
  }
  return false;
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
