// ingest: results into SQLite. Two figures, measured separately:
//  - stream: pullResults (the `results pull` path: JetStream fetch, protobuf decode, store ingest, acks) from
//    a real nats-server holding the results; the rate is results over the time until the last batch was
//    committed (the pull's closing idle wait, which only proves the stream is drained, is reported apart);
//  - raw: store.ingestResults in batches of 1000 (the pull's batch size) into a fresh database.
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { openStore } from "../../cli/store/open-store.js";
import { pullResults } from "../../cli/workflows/pull-results.js";
import type { CellResult } from "../../core/metrics.js";
import { resultMsgId, resultsSubject } from "../../core/nats-names.js";
import { encodeCellResult } from "../../core/wire/nats-payloads.js";
import { setupJetStream } from "../../services/coordinator/jetstream-setup.js";
import { launchNatsServer } from "../../services/nats/launch-nats-server.js";
import { benchResult, runStats, type BenchResult } from "./bench-result.js";

const BATCH = 1000;
const TARGET = { direction: "at-least", value: 50_000 } as const;
/** Publishes in flight at once while filling the stream (setup, not timed). */
const PUBLISH_WINDOW = 1000;

export async function benchIngestRaw(results: CellResult[], dir: string, runs: number): Promise<BenchResult> {
  const samples: number[] = [];
  const cpuRates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const runDir = await mkdtemp(path.join(dir, "ingest-raw-"));
    const store = openStore(path.join(runDir, "results.sqlite"));
    try {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      for (let at = 0; at < results.length; at += BATCH) store.ingestResults(results.slice(at, at + BATCH));
      samples.push(results.length / ((performance.now() - t0) / 1000));
      const cpu = process.cpuUsage(cpu0);
      cpuRates.push(results.length / ((cpu.user + cpu.system) / 1e6));
    } finally {
      store.close();
      await rm(runDir, { recursive: true, force: true });
    }
  }
  return benchResult("ingest-raw", "results/s", samples, TARGET, {
    results: results.length,
    batch: BATCH,
    // results per CPU second of this process: on a shared box the wall rate also holds time waiting for a core
    results_per_cpu_s_median: runStats(cpuRates).median,
  });
}

export async function benchIngestStream(
  results: CellResult[],
  dir: string,
  runs: number,
): Promise<BenchResult> {
  const nats = await launchNatsServer();
  try {
    const nc = await connect({ servers: nats.url });
    try {
      await setupJetStream(nc, await jetstreamManager(nc), 60_000);
      const js = jetstream(nc);
      for (let at = 0; at < results.length; at += PUBLISH_WINDOW) {
        await Promise.all(
          results.slice(at, at + PUBLISH_WINDOW).map((r) =>
            js.publish(resultsSubject(r.sweepId), encodeCellResult(r), {
              msgID: resultMsgId(r.sweepId, r.cellId, r.hostId),
            }),
          ),
        );
      }
    } finally {
      await nc.close();
    }
    const samples: number[] = [];
    const idleMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const runDir = await mkdtemp(path.join(dir, "ingest-stream-"));
      // a fresh database has a fresh id, hence its own durable consumer reading the stream from the start
      const store = openStore(path.join(runDir, "results.sqlite"));
      try {
        let lastBatchAt = 0;
        const t0 = performance.now();
        const summary = await pullResults({
          natsServers: nats.url,
          store,
          idleMs: 500,
          onProgress: () => (lastBatchAt = performance.now()),
        });
        const end = performance.now();
        if (summary.inserted !== results.length) {
          throw new Error(`pulled ${summary.inserted} new results, expected ${results.length}`);
        }
        samples.push(results.length / ((lastBatchAt - t0) / 1000));
        idleMs.push(end - lastBatchAt);
      } finally {
        store.close();
        await rm(runDir, { recursive: true, force: true });
      }
    }
    return benchResult("ingest", "results/s", samples, TARGET, {
      results: results.length,
      path: "pullResults from SPECGRID_RESULTS on a real nats-server into a fresh SQLite file",
      closing_idle_wait_ms_median: runStats(idleMs).median,
    });
  } finally {
    await nats.stop();
  }
}
