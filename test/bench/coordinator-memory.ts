// coordinator-memory: what a 100,000-cell spread sweep costs the coordinator's memory, without the 64 agent
// processes of the fleet benchmark. A real nats-server and the coordinator in a process of its own (the
// fleet benchmark's bundled child), one registered holder of every model, and this process playing the agent:
// it pulls each shard from its pool, publishes a result per cell (zero-cost figures, with a host-noise record
// as a real agent's carries) and acks the shard. The sweep is the fleet benchmark's spread sweep (FLEET_64).
//
// Measured: the coordinator's peak RSS (VmHWM) after submit and at close-out, its RSS at close-out, its peak
// V8 heap (sampled every second) and its heap after a full GC at close-out (what it still holds), submit RPC
// time and submit → close-out.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { sha256File } from "../../agents/probe/sha256-cache.js";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import type { CellResult } from "../../core/metrics.js";
import { JOBS_STREAM, RESULTS_STREAM, resultMsgId, resultsSubject } from "../../core/nats-names.js";
import { createCoordinatorClient } from "../../core/wire/coordinator-client.js";
import { decodeShard, encodeCellResult } from "../../core/wire/nats-payloads.js";
import { getModelFamily } from "../support/model-family.js";
import { registerHolder } from "../integration/runtime-cluster.js";
import { launchBenchNats } from "./bench-nats.js";
import { writeGridManifest } from "./bench-manifests.js";
import { benchResult, type BenchResult } from "./bench-result.js";
import { FLEET_64, bundleChildren, pacedEstimate, procFigures, spawnChild, stopChild } from "./fleet.js";
import type { FleetCoordinatorArgs, FleetCoordinatorReport } from "./fleet-coordinator-child.js";
import { epochMs } from "./paced-engine.js";

const RSS_TARGET_MIB = 300;
const DRAFT_NOISES = [0, 0.01, 0.02, 0.05] as const;
const TIMEOUT_MS = 1_200_000;

export interface CoordinatorMemoryFigures {
  cells: number;
  shards: number;
  peakRssAfterSubmitMib: number;
  peakRssMib: number;
  rssAtCloseOutMib: number;
  peakHeapUsedMib: number;
  heapAfterGcAtCloseOutMib: number;
  submitRpcMs: number;
  submitToCloseOutMs: number;
  resultsPublished: number;
}

/** VmRSS of a live process, MiB. */
async function rssMib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

export async function runCoordinatorMemory(dir: string): Promise<CoordinatorMemoryFigures> {
  const runDir = await mkdtemp(path.join(dir, "coordinator-memory-"));
  const family = await getModelFamily();
  // the files the grid manifest names are the family's own names (as the fleet benchmark's model dirs hold)
  const files = [family.target, ...DRAFT_NOISES.map((n) => family.drafts.get(n))];
  const models: { file: string; sha256: string }[] = [];
  for (const f of files) {
    if (f === undefined) throw new Error("model family lacks a draft the fleet sweep names");
    models.push({ file: path.basename(f), sha256: await sha256File(f) });
  }
  const estimate = pacedEstimate(FLEET_64.meanCellMs);
  const manifest = await writeGridManifest(runDir, "coordinator-memory", FLEET_64.spread, { estimate });

  const token = randomBytes(16).toString("hex");
  const nats = await launchBenchNats();
  const reportFile = path.join(runDir, "coordinator.json");
  const args: FleetCoordinatorArgs = {
    natsUrl: nats.url,
    token,
    heartbeatMs: FLEET_64.heartbeatMs,
    targetShardMs: FLEET_64.targetShardMs,
    reportFile,
  };
  const bundles = await bundleChildren();
  // --expose-gc: the heap it still holds at close-out is measured after a full collection
  const coordinator = spawnChild(bundles.coordinator, args, ["--expose-gc"]);
  const nc = await connect({ servers: nats.url, name: "coordinator-memory-bench" });
  try {
    const { address } = JSON.parse(await coordinator.firstLine) as { address: string };
    const pid = coordinator.proc.pid!;
    const client = createCoordinatorClient({ address, token, callTimeoutMs: 300_000 });
    const reg = await registerHolder(client, "mem-holder", models);

    const t0 = epochMs();
    const sub = await client.submitSweep(await manifestForSubmit(manifest));
    const submitRpcMs = epochMs() - t0;
    const afterSubmit = await procFigures(pid);
    const beat = await client.heartbeat({
      agentId: reg.agentId,
      runningShards: [],
      instanceId: "bench",
      freeSlots: 1,
    });

    // play the agent: every pool the holder is eligible for, shard by shard, until all cells have a result
    const js = jetstream(nc);
    let published = 0;
    const deadline = Date.now() + TIMEOUT_MS;
    const pull = async (pool: string): Promise<void> => {
      const consumer = await js.consumers.get(JOBS_STREAM, pool);
      while (published < sub.placements && Date.now() < deadline) {
        const batch = await consumer.fetch({ max_messages: 8, expires: 1_000 });
        for await (const m of batch) {
          const job = decodeShard(m.data);
          const now = new Date().toISOString();
          await Promise.all(
            job.shard.cells.map(async (cell) => {
              const result: CellResult = {
                sweepId: job.sweepId,
                cellId: cell.cellId,
                hostId: reg.agentId,
                shardId: job.shard.shardId,
                attempt: 1,
                engine: cell.engine,
                outcome: {
                  status: "ok",
                  backend: "zero-cost",
                  metrics: {
                    nDecoded: cell.nPredict,
                    decodeMs: 1,
                    decodeTps: cell.nPredict * 1000,
                    wallMs: 1,
                    ...(cell.kind === "speculative"
                      ? { nDrafted: cell.nPredict, nAccept: cell.nPredict, acceptRate: 1 }
                      : {}),
                    noise: {
                      loadAvg1: 1.5,
                      cores: 2,
                      otherCpuCores: 0.25,
                      ownCpuCores: 0.75,
                      engineThreads: 1,
                      idleCores: 1.75,
                      windowMs: 1_000,
                      contended: false,
                    },
                  },
                },
                startedAt: now,
                finishedAt: now,
              };
              await js.publish(resultsSubject(job.sweepId), encodeCellResult(result), {
                msgID: resultMsgId(job.sweepId, cell.cellId, job.hostId),
                expect: { streamName: RESULTS_STREAM },
              });
              published++;
            }),
          );
          m.ack();
        }
      }
    };
    await Promise.all(beat.pools.map((p) => pull(p)));

    let closedAt: number | undefined;
    while (closedAt === undefined) {
      if (Date.now() > deadline) throw new Error(`sweep not closed out within ${TIMEOUT_MS} ms`);
      await sleep(1_000);
      const s = (await client.listSweeps()).find((x) => x.sweepId === sub.sweepId);
      if (s === undefined || s.state === "running") continue;
      if (s.state !== "done") throw new Error(`sweep ended ${s.state} (${s.done}/${s.placementsTotal})`);
      closedAt = Date.parse(s.finishedAt ?? "");
    }
    const rssAtCloseOutMib = await rssMib(pid);
    client.close();
    await stopChild(coordinator);
    const report = JSON.parse(await readFile(reportFile, "utf8")) as FleetCoordinatorReport;
    return {
      cells: sub.cells,
      shards: sub.shards,
      peakRssAfterSubmitMib: afterSubmit.peakRssMib ?? NaN,
      peakRssMib: report.maxRssMib,
      rssAtCloseOutMib,
      peakHeapUsedMib: report.peakHeapUsedMib,
      heapAfterGcAtCloseOutMib: report.heapAfterGcMib ?? NaN,
      submitRpcMs,
      submitToCloseOutMs: closedAt - t0,
      resultsPublished: published,
    };
  } finally {
    await stopChild(coordinator);
    await nc.close();
    await nats.stop();
    await rm(bundles.dir, { recursive: true, force: true });
    await rm(runDir, { recursive: true, force: true });
  }
}

/** `npm run bench -- --only coordinator-memory`: one run (a minute or two on the shared 2-core box). */
export async function benchCoordinatorMemory(dir: string, runs: number): Promise<BenchResult> {
  const measured: CoordinatorMemoryFigures[] = [];
  for (let r = 0; r < runs; r++) measured.push(await runCoordinatorMemory(dir));
  const last = measured[measured.length - 1]!;
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  return benchResult(
    "coordinator-memory",
    "MiB peak RSS",
    measured.map((m) => m.peakRssMib),
    { direction: "below", value: RSS_TARGET_MIB },
    {
      cells: last.cells,
      shards: last.shards,
      results_published: last.resultsPublished,
      peak_rss_after_submit_mib: r1(last.peakRssAfterSubmitMib),
      rss_at_close_out_mib: r1(last.rssAtCloseOutMib),
      peak_heap_used_mib: r1(last.peakHeapUsedMib),
      heap_after_gc_at_close_out_mib: r1(last.heapAfterGcAtCloseOutMib),
      submit_rpc_ms: Math.round(last.submitRpcMs),
      submit_to_close_out_ms: Math.round(last.submitToCloseOutMs),
      ...(runs > 1 ? { figures_are_of: `the last of ${runs} runs` } : {}),
    },
  );
}
