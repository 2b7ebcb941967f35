// The coordinator daemon's main: connect NATS, make sure streams and buckets exist, reload state from
// JetStream (sweeps, agents, results replayed for progress), then serve gRPC.
import { setTimeout as sleep } from "node:timers/promises";
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { CONTROL_SUBJECT, JOBS_STREAM, RESULTS_STREAM } from "../../core/nats-names.js";
import { natsLogin, redactNatsUrl } from "../../core/nats-credentials.js";
import { decodeCellResult } from "../../core/wire/nats-payloads.js";
import { AgentRegistry } from "./agent-registry.js";
import { Coordinator } from "./coordinator.js";
import { resolveTimeouts, type CoordinatorOptions } from "./coordinator-options.js";
import { startGrpcServer } from "./grpc-server.js";
import { setupJetStream } from "./jetstream-setup.js";
import { ProgressTracker } from "./progress-tracker.js";
import { StalledSweeps } from "./requeue-stalled.js";
import { ResultSpill } from "./result-spill.js";
import { SweepRecords } from "./sweep-record.js";

export interface RunningCoordinator {
  /** host:port the gRPC server listens on (the port resolved when 0 was asked for). */
  address: string;
  port: number;
  coordinator: Coordinator;
  stop(): Promise<void>;
}

export async function startCoordinator(opts: CoordinatorOptions): Promise<RunningCoordinator> {
  const timeouts = resolveTimeouts(opts);
  const logger = opts.logger.child({ component: "coordinator" });
  // nats.js ignores credentials inside URLs: split them into connect options
  const nc = await connect({
    ...natsLogin(opts.natsUrl),
    name: "specgrid-coordinator",
    maxReconnectAttempts: -1,
  });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  // the bucket TTL is generous: liveness is judged by livenessMs, the TTL only sweeps out long-gone agents
  const {
    sweeps: sweepsKv,
    agents: agentsKv,
    done: doneKv,
  } = await setupJetStream(nc, jsm, Math.max(timeouts.livenessMs * 20, 60_000), opts.replicas ?? 1);
  const registry = new AgentRegistry(agentsKv, timeouts.livenessMs);
  await registry.load();
  const sweeps = new SweepRecords(sweepsKv);
  // the tracker reports completion to the coordinator, which is built after it
  const completion: { coordinator?: Coordinator } = {};
  // the coordinator's copy of the results it counts, on disk: see result-spill.ts
  const spill = new ResultSpill(opts.resultCopyDir);
  const progress = new ProgressTracker(
    async (rec, counts) => completion.coordinator?.complete(rec, counts),
    spill,
  );
  const coordinator = new Coordinator({
    js,
    jsm,
    registry,
    sweeps,
    progress,
    parseManifest: opts.parseManifest,
    planSweep: opts.planSweep,
    timeouts,
    logger,
    announce: (e) => nc.publish(CONTROL_SUBJECT, JSON.stringify(e)),
  });
  completion.coordinator = coordinator;
  const stalled = new StalledSweeps({
    js,
    jsm,
    done: doneKv,
    registry,
    progress,
    shards: (sweepId) => sweeps.shards(sweepId),
    logger,
    requeueAfterMs: timeouts.requeueAfterMs,
  });
  for (const rec of await sweeps.load()) await progress.track(rec);
  for (const rec of sweeps.all()) {
    if (rec.state === "running" && !rec.published)
      await coordinator.publish(rec, await sweeps.shards(rec.sweepId));
  }

  let stopped = false;
  let messages: ConsumerMessages | undefined;
  const consumeResults = async (): Promise<void> => {
    let lastSeq = 0;
    while (!stopped) {
      try {
        const consumer = await js.consumers.get(
          RESULTS_STREAM,
          lastSeq === 0
            ? { deliver_policy: DeliverPolicy.All }
            : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 },
        );
        // short pulls: after a NATS restart the missed heartbeats are noticed in seconds, not half a minute
        const current = await consumer.consume({ expires: 2_000 });
        messages = current;
        // On a cluster the ordered consumer behind this can be lost with a node (it has one replica) and
        // nats.js does not always rebuild it: after a reconnect or missed heartbeats start a fresh one from
        // the last sequence seen, so progress never stalls while results keep arriving.
        void (async () => {
          for await (const st of current.status()) {
            if (st.type === "heartbeats_missed" || st.type === "consumer_deleted") {
              logger.debug({ status: st.type }, "results consumer restarting");
              current.stop();
              break;
            }
          }
        })().catch(() => undefined);
        for await (const m of current) {
          lastSeq = m.seq;
          try {
            const msgId = m.headers?.get("Nats-Msg-Id");
            await progress.add(decodeCellResult(m.data), { seq: m.seq, ...(msgId ? { msgId } : {}) }, m.data);
          } catch (err) {
            logger.warn({ seq: m.seq, err: String(err) }, "skipping an unreadable result message");
          }
        }
      } catch (err) {
        if (!stopped) logger.warn({ err: String(err) }, "results consumer interrupted; resuming");
      }
      if (!stopped) await sleep(250);
    }
  };
  const consuming = consumeResults();
  // a sweep whose completion check could not read the stream back (NATS failing over) is tried again, and
  // one that lost results on the way has its missing cells published again
  const recheck = setInterval(() => {
    for (const rec of sweeps.all()) {
      if (rec.state !== "running") continue;
      progress.recheck(rec.sweepId).catch((err: unknown) => {
        logger.warn({ sweep: rec.sweepId, err: String(err) }, "completion check failed");
      });
      stalled.check(rec).catch((err: unknown) => {
        logger.warn({ sweep: rec.sweepId, err: String(err) }, "stall check failed");
      });
    }
  }, 2_000);
  // a reconnect may land on another cluster node: rebuild the results consumer there (see consumeResults)
  void (async () => {
    for await (const st of nc.status()) {
      if (st.type === "reconnect") messages?.stop();
    }
  })().catch(() => undefined);

  // the server announces shards that used up max_deliver; only the coordinator can close them out
  const advisories = nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${JOBS_STREAM}.*`);
  const watchingAdvisories = (async () => {
    for await (const m of advisories) {
      try {
        const adv = m.json<{ stream_seq: number }>();
        await coordinator.giveUp(adv.stream_seq);
      } catch (err) {
        logger.warn({ err: String(err) }, "could not handle a max-deliveries advisory");
      }
    }
  })();

  const listen = opts.listen ?? "127.0.0.1:7400";
  let grpcServer: Awaited<ReturnType<typeof startGrpcServer>>;
  try {
    grpcServer = await startGrpcServer({
      listen,
      token: opts.token,
      tls: opts.tls,
      // agents get server addresses only, never the coordinator's own NATS credentials
      natsUrl: opts.advertisedNatsUrl ?? natsLogin(opts.natsUrl).servers.join(","),
      heartbeatMs: timeouts.heartbeatMs,
      coordinator,
      progress,
      logger,
    });
  } catch (err) {
    // a port that cannot be bound (taken, not this machine's): undo what started, so the process can exit
    stopped = true;
    clearInterval(recheck);
    messages?.stop();
    advisories.unsubscribe();
    await nc.drain().catch(() => undefined);
    await spill.close().catch(() => undefined);
    throw err;
  }
  const { server, port } = grpcServer;
  const host = listen.slice(0, listen.lastIndexOf(":")) || "127.0.0.1";
  logger.info(
    {
      listen: `${host}:${port}`,
      nats: redactNatsUrl(opts.natsUrl),
      replicas: opts.replicas ?? 1,
      tls: opts.tls !== undefined,
    },
    "coordinator listening",
  );

  return {
    address: `${host}:${port}`,
    port,
    coordinator,
    async stop() {
      stopped = true;
      clearInterval(recheck);
      // open watch streams and idle client channels would hold a graceful shutdown forever
      await Promise.race([new Promise<void>((resolve) => server.tryShutdown(() => resolve())), sleep(2_000)]);
      server.forceShutdown();
      messages?.stop();
      advisories.unsubscribe();
      // with NATS gone a drain (or a consumer waiting on it) never finishes: bound each, then close
      const bounded = (p: Promise<unknown>): Promise<unknown> =>
        Promise.race([p.catch(() => undefined), sleep(3_000)]);
      await bounded(watchingAdvisories);
      await bounded(nc.drain());
      if (!nc.isClosed()) await nc.close().catch(() => undefined);
      await bounded(consuming);
      await spill.close().catch(() => undefined);
    },
  };
}
