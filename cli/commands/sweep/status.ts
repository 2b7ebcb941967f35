import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { Args } from "@oclif/core";
import { clientFlags, clientFromFlags } from "../../workflows/client-flags.js";
import { sweepStatusJson, type SweepStatusJson } from "../../workflows/sweep-status-json.js";
import { renderProgress } from "../../workflows/watch-progress.js";

export default class SweepStatus extends SpecgridCommand {
  static override description =
    "Show a sweep's state (running / done / failed / cancelled), cell counts and per-host progress.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> lab1-20261128163000-a1b2c3",
    "<%= config.bin %> <%= command.id %> lab1-20261128163000-a1b2c3 --json",
  ];

  static override enableJsonFlag = true;

  static override args = {
    id: Args.string({ description: "sweep id (from sweep submit or sweep list)", required: true }),
  };

  static override flags = { ...clientFlags };

  async run(): Promise<SweepStatusJson> {
    const { args, flags } = await this.parse(SweepStatus);
    const client = clientFromFlags(flags, (m) => this.error(m, { exit: 2 }));
    try {
      const s = await client.getSweep(args.id).catch((err: unknown) => this.badInput(err));
      for (const line of renderProgress(s, Date.now())) this.log(line);
      return sweepStatusJson(s);
    } finally {
      client.close();
    }
  }
}
