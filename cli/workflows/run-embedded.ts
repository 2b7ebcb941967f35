// `specgrid run` and `specgrid demo`: embedded stack → submit → live progress → results into SQLite →
// report. Every child and connection is closed on the way out, also on Ctrl-C.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { pino } from "pino";
import { openStore } from "../store/open-store.js";
import { awaitCounted, missingResultsWarning, pullResults } from "./pull-results.js";
import { syncSweep } from "./sync-sweep.js";
import { writeReport } from "../report/write-report.js";
import { startEmbeddedStack } from "./embedded-stack.js";
import type { LoadManifestOptions } from "../../core/manifest/load-manifest.js";
import { manifestForSubmit } from "./manifest-for-submit.js";
import { sweepStatusJson, type SweepStatusJson } from "./sweep-status-json.js";
import { watchProgress } from "./watch-progress.js";
import { llamaBinJson, type LlamaBinJson } from "./agent-engine.js";
import { describeLlamaBin, type LlamaBinChoice } from "./llama-build.js";
import type { ManifestEngine } from "../../core/manifest/manifest.js";

export interface RunEmbeddedOptions {
  manifest: string;
  /** Loader guards (prompt files outside the folder, grid and prompt size limits). */
  manifestOptions?: LoadManifestOptions;
  agents: number;
  modelDirs: string[];
  /** The agents' engine; replaces the manifest's engine when it differs (`run --engine`). */
  engine: ManifestEngine;
  /** The llama.cpp build the agents run (llama.cpp engines; agent-engine's llamaBinFor picks it). */
  llamaBin?: LlamaBinChoice;
  dbFile: string;
  outDir: string;
  /** Progress and messages (stderr). */
  write: (text: string) => void;
  tty: boolean;
  targetShardMs?: number;
}

export interface RunEmbeddedResult {
  sweep_id: string;
  engine: string;
  /** The llama.cpp build the agents ran (llama.cpp engines only). */
  llama?: LlamaBinJson;
  status: SweepStatusJson;
  db: string;
  results_stored: number;
  report_files: string[];
  /** Why no report was written (e.g. no valid results), when none was. */
  report_error?: string;
  log_file: string;
  wall_ms: number;
}

export async function runEmbedded(o: RunEmbeddedOptions): Promise<RunEmbeddedResult> {
  const started = Date.now();
  const request = await manifestForSubmit(o.manifest, o.manifestOptions, o.engine);
  await mkdir(o.outDir, { recursive: true });
  const logFile = path.join(o.outDir, "specgrid.log");
  const logger = pino(
    { name: "specgrid-run", level: "info" },
    pino.destination({ dest: logFile, sync: false }),
  );
  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) {
      // the second Ctrl-C: no more waiting. Results are pulled into the database while the sweep runs, and
      // the exit hooks (and the nats-server watchdog) stop the embedded server
      o.write(`second interrupt: exiting now; the results pulled so far are in ${o.dbFile}\n`);
      process.exit(130);
    }
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  if (o.llamaBin !== undefined) {
    o.write(`${describeLlamaBin(o.llamaBin)}\n`);
    logger.info({ llama: llamaBinJson(o.llamaBin) }, "llama.cpp build");
  }
  o.write(
    `starting nats-server, the coordinator and ${o.agents} agent(s) with engine ${o.engine} (logs: ${logFile})\n`,
  );
  const stack = await startEmbeddedStack({
    agents: o.agents,
    modelDirs: o.modelDirs,
    engine: o.engine,
    ...(o.llamaBin === undefined ? {} : { llamaBin: o.llamaBin }),
    logger,
    targetShardMs: o.targetShardMs,
  });
  try {
    const store = openStore(o.dbFile);
    try {
      const sub = await stack.client.submitSweep(request);
      o.write(`sweep ${sub.sweepId}: ${sub.cells} cells in ${sub.shards} shards\n`);
      for (const w of sub.warnings) o.write(`warning: ${w}\n`);
      // the definition first and the results as they come: a CLI killed mid-sweep leaves a database that
      // holds what was done (and can be reported on), not nothing
      await syncSweep(store, stack.client, sub.sweepId);
      const follow = new AbortController();
      const following = pullResults({
        natsServers: stack.natsUrl,
        store,
        sweepId: sub.sweepId,
        idleMs: 500,
        follow: true,
        signal: follow.signal,
      }).catch((err: unknown) => {
        logger.warn({ err: String(err) }, "live pull stopped; the results are pulled at the end");
      });
      let final = await watchProgress(stack.client, sub.sweepId, {
        write: o.write,
        tty: o.tty,
        signal: abort.signal,
      });
      if (abort.signal.aborted) {
        final = await stack.client.cancelSweep(sub.sweepId).catch(() => final);
        o.write("interrupted: sweep cancelled\n");
      }
      follow.abort();
      await following;
      await syncSweep(store, stack.client, sub.sweepId);
      await pullResults({
        natsServers: stack.natsUrl,
        store,
        sweepId: sub.sweepId,
        idleMs: 500,
      });
      const stored = await awaitCounted(
        store,
        sub.sweepId,
        final.done,
        async () => {
          await pullResults({ natsServers: stack.natsUrl, store, sweepId: sub.sweepId, idleMs: 2000 });
        },
        {
          onWait: (missing) =>
            o.write(`waiting for ${missing} result(s) the coordinator counted to reach ${o.dbFile}\n`),
        },
      );
      if (stored < final.done)
        o.write(
          `warning: ${missingResultsWarning(stored, final.done, "the embedded NATS server holding them stops with this run, so run the sweep again")}\n`,
        );
      let reportFiles: string[] = [];
      let reportError: string | undefined;
      try {
        reportFiles = (await writeReport({ store, sweepId: sub.sweepId, outDir: o.outDir })).files;
      } catch (err) {
        reportError = err instanceof Error ? err.message : String(err);
      }
      return {
        sweep_id: sub.sweepId,
        engine: o.engine,
        ...(o.llamaBin === undefined ? {} : { llama: llamaBinJson(o.llamaBin) }),
        status: sweepStatusJson(final),
        db: o.dbFile,
        results_stored: stored,
        report_files: reportFiles,
        ...(reportError === undefined ? {} : { report_error: reportError }),
        log_file: logFile,
        wall_ms: Date.now() - started,
      };
    } finally {
      store.close();
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await stack.stop();
    logger.flush();
  }
}
