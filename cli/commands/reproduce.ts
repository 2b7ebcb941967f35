import { SpecgridCommand } from "../workflows/specgrid-command.js";
import { openStoreOr } from "../workflows/open-store-or.js";
import { tmpdir } from "node:os";
import path from "node:path";

import { Args, Flags } from "@oclif/core";
import { pino } from "pino";

import { ENGINE_NAMES, type EngineName } from "../../core/cell.js";
import { SpecgridError } from "../../core/errors.js";
import { clientTlsFlags, clientWithTls, resolveToken, tokenFileFlag } from "../workflows/client-flags.js";
import { reproduceSweep } from "../workflows/reproduce-sweep.js";
import { formatCi, formatNumber } from "../report/format-number.js";
import { startEmbeddedStack } from "../workflows/embedded-stack.js";
import { DEFAULT_DB_FILE } from "../store/open-store.js";
import { sweepComparisonJson, type CompareResult } from "./compare.js";
import { llamaBinFor } from "../workflows/agent-engine.js";
import { llamaBinFlag } from "../workflows/llama-bin-flag.js";

export interface ReproduceCommandResult {
  original_sweep_id: string;
  new_sweep_id: string;
  new_state: string;
  mode: "coordinator" | "embedded";
  warnings: string[];
  comparison: NonNullable<CompareResult["sweeps"]>;
}

export default class Reproduce extends SpecgridCommand {
  static override description =
    "Run a stored sweep again from its manifest, with every model pinned by the sha256 it ran with (same prompts, " +
    "seeds and settings), then compare: a verdict per metric (agree within noise / differ). Warns where the " +
    "llama.cpp build or host facts differ. With --token it submits to a coordinator; without, it starts the " +
    "embedded stack on this machine (like `specgrid run`) with --models.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> sw-20261128-abc --coordinator coord:7400 --token-file /etc/specgrid/token --nats nats://coord:4222",
    "<%= config.bin %> <%= command.id %> sw-demo --db specgrid-out/specgrid.sqlite --models specgrid-out/models --json",
  ];

  static override enableJsonFlag = true;

  static override args = { sweep: Args.string({ description: "sweep id to reproduce", required: true }) };

  static override flags = {
    db: Flags.string({ description: "results database file", env: "SPECGRID_DB", default: DEFAULT_DB_FILE }),
    coordinator: Flags.string({
      description: "coordinator address HOST:PORT",
      env: "SPECGRID_COORDINATOR",
      default: "127.0.0.1:7400",
    }),
    token: Flags.string({
      description:
        "coordinator bearer token (omit to run on this machine; prefer SPECGRID_TOKEN or --token-file)",
      env: "SPECGRID_TOKEN",
    }),
    "token-file": tokenFileFlag(),
    ...clientTlsFlags,
    nats: Flags.string({
      description: "NATS server URL of the coordinator (repeatable)",
      env: "SPECGRID_NATS",
      multiple: true,
      default: ["nats://127.0.0.1:4222"],
    }),
    models: Flags.string({
      description: "embedded mode: model directory for the local agent (repeatable)",
      multiple: true,
    }),
    engine: Flags.string({
      description: "embedded mode: engine the local agent offers",
      options: [...ENGINE_NAMES],
      default: "in-process",
    }),
    "llama-bin": llamaBinFlag("for embedded mode's llama.cpp engines"),
    tolerance: Flags.string({
      description: "relative difference treated as negligible (0..1)",
      default: "0.05",
    }),
  };

  async run(): Promise<ReproduceCommandResult> {
    const { args, flags } = await this.parse(Reproduce);
    const tolerance = Number(flags.tolerance);
    if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance >= 1)
      this.error(`--tolerance must be a number in [0, 1), e.g. 0.05 (got "${flags.tolerance}")`, { exit: 2 });
    const token = resolveToken(flags, (m) => this.error(m, { exit: 2 }));
    const embedded = token === undefined;
    if (embedded && (flags.models === undefined || flags.models.length === 0))
      this.error(
        "without --token, reproduce runs on this machine: give the model directory with --models DIR",
        { exit: 2 },
      );
    const engine = flags.engine as EngineName;
    const llamaBin = embedded
      ? await llamaBinFor(engine, flags["llama-bin"]).catch((err: unknown) => this.badInput(err))
      : undefined;
    const store = openStoreOr((m) => this.error(m, { exit: 2 }), flags.db, { sweepId: args.sweep });
    const stack = embedded
      ? await startEmbeddedStack({
          agents: 1,
          modelDirs: flags.models!,
          engine,
          ...(llamaBin === undefined ? {} : { llamaBin }),
          logger: pino(
            { name: "specgrid-reproduce" },
            pino.destination({
              dest: path.join(tmpdir(), `specgrid-reproduce-${process.pid}.log`),
              sync: false,
            }),
          ),
        })
      : undefined;
    const client =
      stack?.client ?? clientWithTls(flags.coordinator, token!, flags, (m) => this.error(m, { exit: 2 }));
    try {
      const r = await reproduceSweep({
        store,
        sweepId: args.sweep,
        client,
        natsServers: stack?.natsUrl ?? flags.nats,
        tolerance,
        log: (line) => {
          if (!this.jsonEnabled()) this.logToStderr(line);
        },
      }).catch((err: unknown) => {
        if (err instanceof SpecgridError) this.error(err.message, { exit: 2 });
        throw err;
      });
      for (const w of r.warnings) this.warn(w);
      const c = r.comparison;
      this.log(`${r.newSweepId} reproduces ${r.originalSweepId} (${c.matchedGroups} matched cell groups):`);
      for (const m of c.metrics) {
        this.log(
          `  ${m.metric.padEnd(13)} ${m.verdict.toUpperCase().padEnd(6)} ratio ${formatNumber(m.ratio, 3)} (95% CI ${formatCi(m.ci95, 3)})` +
            (m.confoundedBy === undefined
              ? ""
              : `: confounded by contention, not a difference in the system (${m.confoundedBy}); rerun on an idle host`),
        );
      }
      return {
        original_sweep_id: r.originalSweepId,
        new_sweep_id: r.newSweepId,
        new_state: r.newState,
        mode: embedded ? "embedded" : "coordinator",
        warnings: r.warnings,
        comparison: sweepComparisonJson(c),
      };
    } finally {
      if (stack === undefined) client.close();
      await stack?.stop();
      store.close();
    }
  }
}
