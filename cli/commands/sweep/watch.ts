import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { Args } from "@oclif/core";
import { clientFlags, clientFromFlags } from "../../workflows/client-flags.js";
import { sweepStatusJson, type SweepStatusJson } from "../../workflows/sweep-status-json.js";
import { watchProgress } from "../../workflows/watch-progress.js";

export default class SweepWatch extends SpecgridCommand {
  static override description =
    "Follow a sweep live: progress bar with ETA and one row per host, until it ends.";

  static override examples = ["<%= config.bin %> <%= command.id %> lab1-20261128163000-a1b2c3"];

  static override enableJsonFlag = true;

  static override args = { id: Args.string({ description: "sweep id", required: true }) };

  static override flags = { ...clientFlags };

  async run(): Promise<SweepStatusJson> {
    const { args, flags } = await this.parse(SweepWatch);
    const client = clientFromFlags(flags, (m) => this.error(m, { exit: 2 }));
    const abort = new AbortController();
    const onSigint = (): void => abort.abort();
    process.once("SIGINT", onSigint);
    try {
      const final = await watchProgress(client, args.id, {
        write: (t) => process.stderr.write(t),
        tty: process.stderr.isTTY === true && !this.jsonEnabled(),
        signal: abort.signal,
      }).catch((err: unknown) => this.badInput(err));
      return sweepStatusJson(final);
    } finally {
      process.off("SIGINT", onSigint);
      client.close();
    }
  }
}
