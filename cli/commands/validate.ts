import { SpecgridCommand } from "../workflows/specgrid-command.js";
import { manifestFlags, manifestOptions } from "../workflows/manifest-flags.js";
import { Args } from "@oclif/core";
import { ManifestError } from "../../core/errors.js";
import { loadManifest } from "../../core/manifest/load-manifest.js";
import { planSweep } from "../../core/plan/plan-sweep.js";

export interface ValidateResult {
  valid: true;
  file: string;
  name: string;
  counts: { baseline: number; speculative: number; parallel: number; total: number };
  shards: number;
  warnings: string[];
}

export default class Validate extends SpecgridCommand {
  static override description =
    "Check a sweep manifest. Exits 0 with a summary when it is usable; otherwise exits 2 and lists every " +
    "problem at once, each with its YAML path, line and column.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> examples/lab1.yaml",
    "<%= config.bin %> <%= command.id %> my-sweep.yaml --json",
  ];

  static override enableJsonFlag = true;

  static override args = {
    manifest: Args.string({ description: "path to the sweep manifest (YAML)", required: true }),
  };

  static override flags = {
    ...manifestFlags,
  };

  async run(): Promise<ValidateResult> {
    const { args, flags } = await this.parse(Validate);
    let manifest;
    try {
      manifest = await loadManifest(args.manifest, manifestOptions(flags));
    } catch (err) {
      if (err instanceof ManifestError) this.error(err.message, { exit: 2, code: err.code });
      throw err;
    }
    const plan = planSweep(manifest);
    const result: ValidateResult = {
      valid: true,
      file: args.manifest,
      name: manifest.name,
      counts: plan.counts,
      shards: plan.shards.length,
      warnings: plan.warnings,
    };
    const c = plan.counts;
    this.log(
      `${args.manifest}: valid. ${manifest.name}: ${c.total} cells (${c.speculative} speculative, ` +
        `${c.baseline} baseline, ${c.parallel} parallel) in ${plan.shards.length} shards.`,
    );
    for (const w of plan.warnings) this.log(`warning: ${w}`);
    return result;
  }
}
