import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { clientFlags, clientFromFlags } from "../../workflows/client-flags.js";
import { sweepStatusJson, type SweepStatusJson } from "../../workflows/sweep-status-json.js";

export interface SweepListResult {
  sweeps: SweepStatusJson[];
}

export default class SweepList extends SpecgridCommand {
  static override description =
    "List the sweeps the coordinator knows, oldest first, with state and cell counts.";

  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --json",
  ];

  static override enableJsonFlag = true;

  static override flags = { ...clientFlags };

  async run(): Promise<SweepListResult> {
    const { flags } = await this.parse(SweepList);
    const client = clientFromFlags(flags, (m) => this.error(m, { exit: 2 }));
    try {
      const sweeps = await client.listSweeps().catch((err: unknown) => this.badInput(err));
      if (sweeps.length === 0) this.log("no sweeps");
      for (const s of sweeps) {
        this.log(
          `${s.sweepId.padEnd(44)} ${s.state.padEnd(10)} ${s.done}/${s.placementsTotal}  valid ${s.valid}  failed ${s.failed}`,
        );
      }
      return { sweeps: sweeps.map(sweepStatusJson) };
    } finally {
      client.close();
    }
  }
}
