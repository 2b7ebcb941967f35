import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { manifestFlags, manifestOptions } from "../../workflows/manifest-flags.js";
import { Args, Flags } from "@oclif/core";
import { clientFlags, clientFromFlags } from "../../workflows/client-flags.js";
import { manifestForSubmit } from "../../workflows/manifest-for-submit.js";
import { sweepStatusJson, type SweepStatusJson } from "../../workflows/sweep-status-json.js";
import { watchProgress } from "../../workflows/watch-progress.js";

export interface SweepSubmitResult {
  sweep_id: string;
  cells: number;
  shards: number;
  placements: number;
  warnings: string[];
  /** With --watch: the final status. */
  final?: SweepStatusJson;
}

export default class SweepSubmit extends SpecgridCommand {
  static override description =
    "Submit a sweep manifest to the coordinator. The manifest is checked here first and prompt files are sent as text; " +
    "the coordinator resolves models against its agents, plans and shards the sweep. Prints the sweep id.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> examples/lab1.yaml --coordinator coord:7400 --token-file /etc/specgrid/token",
    "<%= config.bin %> <%= command.id %> examples/demo-cpu.yaml --watch",
    "<%= config.bin %> <%= command.id %> examples/demo-cpu.yaml --json",
  ];

  static override enableJsonFlag = true;

  static override args = { manifest: Args.string({ description: "sweep manifest (YAML)", required: true }) };

  static override flags = {
    ...clientFlags,
    ...manifestFlags,
    watch: Flags.boolean({ description: "follow progress until the sweep ends" }),
  };

  async run(): Promise<SweepSubmitResult> {
    const { args, flags } = await this.parse(SweepSubmit);
    const client = clientFromFlags(flags, (m) => this.error(m, { exit: 2 }));
    try {
      const req = await manifestForSubmit(args.manifest, manifestOptions(flags)).catch((err: unknown) =>
        this.badInput(err),
      );
      const res = await client.submitSweep(req).catch((err: unknown) => this.badInput(err));
      this.log(`${res.sweepId}  (${res.cells} cells, ${res.shards} shards, ${res.placements} placements)`);
      for (const w of res.warnings) this.warn(w);
      const out: SweepSubmitResult = {
        sweep_id: res.sweepId,
        cells: res.cells,
        shards: res.shards,
        placements: res.placements,
        warnings: res.warnings,
      };
      if (flags.watch) {
        const final = await watchProgress(client, res.sweepId, {
          write: (t) => process.stderr.write(t),
          tty: process.stderr.isTTY === true && !this.jsonEnabled(),
        });
        out.final = sweepStatusJson(final);
      }
      return out;
    } finally {
      client.close();
    }
  }
}
