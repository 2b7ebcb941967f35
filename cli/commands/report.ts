import { SpecgridCommand } from "../workflows/specgrid-command.js";
import { openStoreOr } from "../workflows/open-store-or.js";
import { Args, Flags } from "@oclif/core";

import { SpecgridError } from "../../core/errors.js";
import { DEFAULT_DB_FILE } from "../store/open-store.js";
import type { AnswerStatus } from "../report/answer-questions.js";
import { writeReport } from "../report/write-report.js";

export interface ReportCommandResult {
  sweep_id: string;
  out_dir: string;
  files: string[];
  results: number;
  valid: number;
  invalid: number;
  failed: number;
  missing_charts: string[];
  /** Each answer: its headline sentence, the derivation behind it, and whether its data was too noisy and why. */
  answers: Array<{
    id: string;
    title: string;
    short: string;
    details: string[];
    status: AnswerStatus;
    reason: string | undefined;
    too_noisy: string[];
  }>;
  recommendations: string[];
  /** Per host and target: the llama-server command line to paste (argv), with its measured speedup, or none. */
  server_commands: Array<{
    host_id: string;
    target: string;
    argv: string[] | undefined;
    speedup: number | undefined;
    ci95: [number, number] | undefined;
    temperature: number | undefined;
    text: string;
  }>;
  /** The verdict per host and pair, as the report's first table says it. */
  verdicts: Array<{
    host_id: string;
    target: string;
    method: string;
    verdict: string;
    text: string;
    k: number | undefined;
    temperatures: number[];
    ks: number[];
    speedup: number | undefined;
    speedup_ci95: [number, number] | undefined;
    /** Pooled Σaccepted/Σdrafted of the best setting. */
    acceptance: number | undefined;
    unstable_settings: number;
    settings: number;
  }>;
}

export default class Report extends SpecgridCommand {
  static override description =
    "Write a sweep's report: report.md, a self-contained report.html and the charts as SVG and PNG " +
    "(K vs throughput with theory, temperature vs acceptance, speedup with 95% intervals, batching), " +
    "with tables and answers computed from the stored results.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> sw-20261128-abc --out report/",
    "<%= config.bin %> <%= command.id %> sw-20261128-abc --db lab.sqlite --json",
  ];

  static override enableJsonFlag = true;

  static override args = {
    sweep: Args.string({ description: "sweep id (see `specgrid results list`)", required: true }),
  };

  static override flags = {
    db: Flags.string({ description: "results database file", env: "SPECGRID_DB", default: DEFAULT_DB_FILE }),
    out: Flags.string({
      description: "directory for report.md, report.html and the charts",
      default: "report",
    }),
  };

  async run(): Promise<ReportCommandResult> {
    const { args, flags } = await this.parse(Report);
    const store = openStoreOr((m) => this.error(m, { exit: 2 }), flags.db);
    try {
      const r = await writeReport({ store, sweepId: args.sweep, outDir: flags.out }).catch((err: unknown) => {
        if (err instanceof SpecgridError) this.error(err.message, { exit: 2 });
        throw err;
      });
      const c = r.analysis.counts;
      this.log(`report for ${args.sweep}: ${c.ok} valid, ${c.invalid} invalid, ${c.failed} failed results`);
      for (const f of r.files) this.log(`  ${f}`);
      if (r.missingCharts.length > 0) this.log(`charts without data: ${r.missingCharts.join(", ")}`);
      return {
        sweep_id: args.sweep,
        out_dir: flags.out,
        files: r.files,
        results: c.results,
        valid: c.ok,
        invalid: c.invalid,
        failed: c.failed,
        missing_charts: r.missingCharts,
        answers: r.answers.map((a) => ({
          id: a.id,
          title: a.title,
          short: a.short,
          details: a.details,
          status: a.status,
          reason: a.reason,
          too_noisy: a.tooNoisy,
        })),
        recommendations: r.recommendations,
        server_commands: r.serverCommands.map((c) => ({
          host_id: c.hostId,
          target: c.target,
          argv: c.argv,
          speedup: c.speedup,
          ci95: c.ci95,
          temperature: c.temperature,
          text: c.text,
        })),
        verdicts: r.verdicts.map((v) => ({
          host_id: v.hostId,
          target: v.target,
          method: v.method,
          verdict: v.kind,
          text: v.text,
          k: v.best?.k,
          temperatures: v.temperatures,
          ks: v.ks,
          speedup: v.best?.speedup,
          speedup_ci95: v.best?.speedupCi95,
          acceptance: v.best?.acceptPooled.rate,
          unstable_settings: v.unstable,
          settings: v.settings,
        })),
      };
    } finally {
      store.close();
    }
  }
}
