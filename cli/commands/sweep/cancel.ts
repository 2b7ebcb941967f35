import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { Args } from "@oclif/core";
import { clientFlags, clientFromFlags } from "../../workflows/client-flags.js";
import { sweepStatusJson, type SweepStatusJson } from "../../workflows/sweep-status-json.js";

export default class SweepCancel extends SpecgridCommand {
  static override description =
    "Cancel a sweep: no further shards start, and agents stop the shards they are running at their next heartbeat.";

  static override examples = ["<%= config.bin %> <%= command.id %> lab1-20261128163000-a1b2c3"];

  static override enableJsonFlag = true;

  static override args = { id: Args.string({ description: "sweep id", required: true }) };

  static override flags = { ...clientFlags };

  async run(): Promise<SweepStatusJson> {
    const { args, flags } = await this.parse(SweepCancel);
    const client = clientFromFlags(flags, (m) => this.error(m, { exit: 2 }));
    try {
      const s = await client.cancelSweep(args.id).catch((err: unknown) => this.badInput(err));
      this.log(`${s.sweepId}: ${s.state} (${s.done}/${s.placementsTotal} cells had finished)`);
      return sweepStatusJson(s);
    } finally {
      client.close();
    }
  }
}
