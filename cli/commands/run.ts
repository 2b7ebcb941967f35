import { SpecgridCommand } from "../workflows/specgrid-command.js";
import { llamaBinFlag } from "../workflows/llama-bin-flag.js";
import { manifestFlags, manifestOptions } from "../workflows/manifest-flags.js";
import { existsSync } from "node:fs";
import path from "node:path";
import { Args, Flags } from "@oclif/core";
import { loadManifest } from "../../core/manifest/load-manifest.js";
import { MANIFEST_ENGINES } from "../../core/manifest/manifest-schema.js";
import type { ManifestEngine } from "../../core/manifest/manifest.js";
import { runEmbedded, type RunEmbeddedResult } from "../workflows/run-embedded.js";
import { runSummaryLine } from "../workflows/run-summary-line.js";
import { llamaBinFor } from "../workflows/agent-engine.js";

export default class Run extends SpecgridCommand {
  static override description =
    "Run a sweep on this machine, the embedded default: starts a local nats-server (from PATH or " +
    "SPECGRID_NATS_SERVER), the coordinator and N agents, shows progress, stores results in SQLite and writes the report. " +
    "Same code path as a cluster. Everything it started is stopped on exit or Ctrl-C.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> examples/demo-cpu.yaml --models specgrid-demo/models",
    "<%= config.bin %> <%= command.id %> lab.yaml --agents 2 --db lab.sqlite --out lab-report --json",
    "<%= config.bin %> <%= command.id %> lab.yaml --engine llama-server --llama-bin ~/llama.cpp/build/bin",
  ];

  static override enableJsonFlag = true;

  static override args = { manifest: Args.string({ description: "sweep manifest (YAML)", required: true }) };

  static override flags = {
    agents: Flags.integer({ description: "local agents to start", default: 1, min: 1, max: 16 }),
    models: Flags.string({
      description:
        "model directory for the agents (repeatable; default: <manifest dir>/models, else the manifest's dir)",
      multiple: true,
    }),
    engine: Flags.string({
      description: "engine the agents run the sweep with, in place of the manifest's engine",
      options: [...MANIFEST_ENGINES],
    }),
    "llama-bin": llamaBinFlag(),
    db: Flags.string({ description: "SQLite results database (default: <out>/specgrid.sqlite)" }),
    out: Flags.string({ description: "report and log directory", default: "specgrid-out" }),
    ...manifestFlags,
  };

  async run(): Promise<RunEmbeddedResult> {
    const { args, flags } = await this.parse(Run);
    if (!existsSync(args.manifest)) this.error(`manifest ${args.manifest} does not exist`, { exit: 2 });
    const manifestDir = path.dirname(path.resolve(args.manifest));
    const defaultModels = existsSync(path.join(manifestDir, "models"))
      ? path.join(manifestDir, "models")
      : manifestDir;
    const manifest = await loadManifest(args.manifest, manifestOptions(flags)).catch((err: unknown) =>
      this.badInput(err),
    );
    const engine = (flags.engine ?? manifest.engine) as ManifestEngine;
    const llamaBin = await llamaBinFor(engine, flags["llama-bin"]).catch((err: unknown) =>
      this.badInput(err),
    );
    const result = await runEmbedded({
      manifest: args.manifest,
      manifestOptions: manifestOptions(flags),
      agents: flags.agents,
      modelDirs: flags.models ?? [defaultModels],
      engine,
      ...(llamaBin === undefined ? {} : { llamaBin }),
      dbFile: flags.db ?? path.join(flags.out, "specgrid.sqlite"),
      outDir: flags.out,
      write: (t) => process.stderr.write(t),
      tty: process.stderr.isTTY === true,
    }).catch((err: unknown) => this.badInput(err));
    this.printSummary(result);
    return result;
  }

  private printSummary(r: RunEmbeddedResult): void {
    this.log(runSummaryLine("sweep", r));
    this.log(`results: ${r.results_stored} stored in ${r.db}`);
    if (r.report_files.length > 0)
      this.log(`report: ${r.report_files.filter((f) => /\.(md|html)$/.test(f)).join(", ")}`);
    if (r.report_error) this.warn(`no report: ${r.report_error}`);
  }
}
