import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { openStoreOr } from "../../workflows/open-store-or.js";
import { Flags } from "@oclif/core";

import { SpecgridError } from "../../../core/errors.js";
import { clientTlsFlags, clientWithTls, resolveToken, tokenFileFlag } from "../../workflows/client-flags.js";
import { DEFAULT_DB_FILE } from "../../store/open-store.js";
import { pullResults } from "../../workflows/pull-results.js";
import { syncSweep, type SyncSummary } from "../../workflows/sync-sweep.js";

export interface ResultsPullResult {
  db: string;
  durable: string;
  received: number;
  inserted: number;
  updated: number;
  duplicates: number;
  undecodable: number;
  /** Fetches that ended in an error and were retried (a stalled or overloaded NATS server). */
  stalled: number;
  sweep_ids: string[];
  /** Sweep definitions fetched from the coordinator (only with a token). */
  synced: Array<{ sweep_id: string; state: string; cells: number; hosts: number; models: number }>;
}

export default class ResultsPull extends SpecgridCommand {
  static override description =
    "Pull results from the SPECGRID_RESULTS stream into the database. Each database has its own durable " +
    "consumer, so a second pull resumes where the first stopped; results arriving twice are stored once. " +
    "With a coordinator token, the sweeps' manifests, cells and host facts are fetched too (the report needs them).";

  static override examples = [
    "<%= config.bin %> <%= command.id %> --nats nats://10.0.0.5:4222 --token-file /etc/specgrid/token --coordinator 10.0.0.5:7400",
    "<%= config.bin %> <%= command.id %> --sweep sw-20261128-abc --db lab.sqlite --json",
  ];

  static override enableJsonFlag = true;

  static override flags = {
    db: Flags.string({ description: "results database file", env: "SPECGRID_DB", default: DEFAULT_DB_FILE }),
    nats: Flags.string({
      description: "NATS server URL (repeat for a cluster)",
      env: "SPECGRID_NATS",
      multiple: true,
      default: ["nats://127.0.0.1:4222"],
    }),
    sweep: Flags.string({ description: "pull only this sweep's results" }),
    "idle-ms": Flags.integer({
      description: "stop after this long without a new result",
      default: 1500,
      min: 100,
    }),
    coordinator: Flags.string({
      description: "coordinator address HOST:PORT, to fetch sweep definitions and host facts",
      env: "SPECGRID_COORDINATOR",
      default: "127.0.0.1:7400",
    }),
    token: Flags.string({
      description: "bearer token of the coordinator (enables fetching sweep definitions)",
      env: "SPECGRID_TOKEN",
    }),
    "token-file": tokenFileFlag(),
    ...clientTlsFlags,
  };

  async run(): Promise<ResultsPullResult> {
    const { flags } = await this.parse(ResultsPull);
    const store = openStoreOr((m) => this.error(m, { exit: 2 }), flags.db, { create: true });
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once("SIGINT", onSignal);
    try {
      const summary = await pullResults({
        natsServers: flags.nats,
        store,
        ...(flags.sweep === undefined ? {} : { sweepId: flags.sweep }),
        idleMs: flags["idle-ms"],
        signal: abort.signal,
        onProgress: (p) => {
          if (!this.jsonEnabled())
            this.logToStderr(`  ${p.received} received, ${p.inserted} new, ${p.pending} pending`);
        },
      }).catch((err: unknown) => {
        if (err instanceof SpecgridError) this.error(err.message, { exit: 2 });
        throw err;
      });
      const synced: SyncSummary[] = [];
      const token = resolveToken(flags, (m) => this.error(m, { exit: 2 }));
      if (token !== undefined) {
        const client = clientWithTls(flags.coordinator, token, flags, (m) => this.error(m, { exit: 2 }));
        const failed: string[] = [];
        try {
          // every sweep whose definition this database lacks, not only those pulled now: results stored by
          // an earlier pull whose coordinator was down (or token wrong) get theirs on this one
          const ids = new Set(summary.sweepIds);
          if (flags.sweep !== undefined) ids.add(flags.sweep);
          for (const s of store.listSweeps()) if (s.cells === 0) ids.add(s.sweepId);
          for (const id of [...ids].sort()) {
            try {
              synced.push(await syncSweep(store, client, id));
            } catch (err) {
              failed.push(`${id}: ${err instanceof Error ? err.message : String(err)}`);
            }
          }
        } finally {
          client.close();
        }
        if (failed.length > 0)
          this.error(
            `results are stored, but ${failed.length} sweep definition(s) could not be fetched from the coordinator at ` +
              `${flags.coordinator} (${failed.join("; ")}). Check --coordinator and --token, then run the pull again: ` +
              "it fetches every definition the database still lacks",
            { exit: 1 },
          );
      } else if (store.listSweeps().some((s) => s.cells === 0)) {
        this.warn(
          "some sweeps have no cell definitions yet: pull with --token (and --coordinator) so reports can use them",
        );
      }
      if ((summary.behind ?? 0) > 0)
        this.warn(
          `${summary.behind} result(s) on the stream were not delivered yet (a NATS replica still catching up after a failover); run the pull again`,
        );
      this.log(
        `${summary.received} received: ${summary.inserted} new, ${summary.updated} updated, ${summary.duplicates} already stored` +
          `${summary.undecodable > 0 ? `, ${summary.undecodable} undecodable` : ""}` +
          `${summary.stalled > 0 ? `, ${summary.stalled} stalled fetch(es) retried` : ""} (consumer ${summary.durable})`,
      );
      return {
        db: flags.db,
        durable: summary.durable,
        received: summary.received,
        inserted: summary.inserted,
        updated: summary.updated,
        duplicates: summary.duplicates,
        undecodable: summary.undecodable,
        stalled: summary.stalled,
        sweep_ids: summary.sweepIds,
        synced: synced.map((s) => ({
          sweep_id: s.sweepId,
          state: s.state,
          cells: s.cells,
          hosts: s.hosts,
          models: s.models,
        })),
      };
    } finally {
      process.off("SIGINT", onSignal);
      store.close();
    }
  }
}
