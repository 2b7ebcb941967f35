import { SpecgridCommand } from "../workflows/specgrid-command.js";
import { openStoreOr } from "../workflows/open-store-or.js";
import { Args, Flags } from "@oclif/core";

import { SpecgridError } from "../../core/errors.js";
import type { ContentionSummary } from "../../core/stats/summarize-contention.js";
import { analyzeSweep } from "../report/analyze-sweep.js";
import { compareHosts, type HostComparison } from "../report/compare-hosts.js";
import { compareSweeps, type SweepComparison } from "../report/compare-sweeps.js";
import { formatCi, formatNumber, formatPct } from "../report/format-number.js";
import { loadValidSweep } from "../report/write-report.js";
import { DEFAULT_DB_FILE } from "../store/open-store.js";

export interface CompareResult {
  mode: "hosts" | "sweeps";
  by_host?: HostComparison;
  sweeps?: {
    sweep_a: string;
    sweep_b: string;
    by_host: boolean;
    matched_groups: number;
    only_in_a: number;
    only_in_b: number;
    /** Host noise over the matched groups' runs of each sweep. */
    contention: { a: ContentionJson; b: ContentionJson };
    metrics: Array<{
      metric: string;
      verdict: "agree" | "differ" | "confounded";
      /** Present on a confounded verdict: the recorded load behind it. */
      confounded_by?: string;
      ratio: number;
      ci95: [number, number];
      groups: number;
      groups_agree: number;
      groups_differ: number;
    }>;
    groups: Array<{
      host_id: string;
      cells: string;
      metric: string;
      n_a: number;
      n_b: number;
      mean_a: number;
      mean_b: number;
      ratio: number;
      ci95: [number, number];
      verdict: "agree" | "differ";
    }>;
  };
}

interface ContentionJson {
  runs: number;
  measured: number;
  contended: number;
  max_load_avg1: number | null;
  max_other_cpu_cores: number | null;
}

function contentionJson(c: ContentionSummary): ContentionJson {
  return {
    runs: c.runs,
    measured: c.measured,
    contended: c.contended,
    max_load_avg1: c.maxLoadAvg1 ?? null,
    max_other_cpu_cores: c.maxOtherCpuCores ?? null,
  };
}

export function sweepComparisonJson(c: SweepComparison): NonNullable<CompareResult["sweeps"]> {
  return {
    sweep_a: c.sweepA,
    sweep_b: c.sweepB,
    by_host: c.byHost,
    matched_groups: c.matchedGroups,
    only_in_a: c.onlyInA,
    only_in_b: c.onlyInB,
    contention: { a: contentionJson(c.contention.a), b: contentionJson(c.contention.b) },
    metrics: c.metrics.map((m) => ({
      metric: m.metric,
      verdict: m.verdict,
      ...(m.confoundedBy === undefined ? {} : { confounded_by: m.confoundedBy }),
      ratio: m.ratio,
      ci95: m.ci95,
      groups: m.groups,
      groups_agree: m.groupsAgree,
      groups_differ: m.groupsDiffer,
    })),
    groups: c.groups.map((g) => ({
      host_id: g.hostId,
      cells: g.label,
      metric: g.metric,
      n_a: g.nA,
      n_b: g.nB,
      mean_a: g.meanA,
      mean_b: g.meanB,
      ratio: g.agreement.ratio,
      ci95: g.agreement.ci95,
      verdict: g.agreement.verdict,
    })),
  };
}

export default class Compare extends SpecgridCommand {
  static override description =
    "Compare hosts within one sweep (--by host: the same cells side by side), or two sweeps: cells matched " +
    "by their parameters, B/A ratios with 95% intervals and a verdict per metric (agree within noise / differ).";

  static override examples = [
    "<%= config.bin %> <%= command.id %> sw-hw-compare --by host",
    "<%= config.bin %> <%= command.id %> sw-before sw-after --json",
    "<%= config.bin %> <%= command.id %> sw-original sw-repro --tolerance 0.03",
  ];

  static override enableJsonFlag = true;

  static override args = {
    sweepA: Args.string({ description: "sweep id (A, the reference)", required: true }),
    sweepB: Args.string({ description: "second sweep id (B); omit with --by host" }),
  };

  static override flags = {
    by: Flags.option({ options: ["host"] as const, description: "compare the hosts of one sweep" })(),
    db: Flags.string({ description: "results database file", env: "SPECGRID_DB", default: DEFAULT_DB_FILE }),
    tolerance: Flags.string({
      description: "relative difference treated as negligible (0..1)",
      default: "0.05",
    }),
  };

  async run(): Promise<CompareResult> {
    const { args, flags } = await this.parse(Compare);
    const tolerance = Number(flags.tolerance);
    if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance >= 1)
      this.error(`--tolerance must be a number in [0, 1), e.g. 0.05 (got "${flags.tolerance}")`, { exit: 2 });
    if (flags.by === undefined && args.sweepB === undefined)
      this.error("give two sweep ids to compare (A B), or one sweep with --by host", { exit: 2 });
    if (flags.by !== undefined && args.sweepB !== undefined)
      this.error("--by host compares the hosts of one sweep: give one sweep id", { exit: 2 });
    const store = openStoreOr((m) => this.error(m, { exit: 2 }), flags.db);
    try {
      if (flags.by === "host") {
        const results = this.guard(() => loadValidSweep(store, args.sweepA));
        const hc = compareHosts(analyzeSweep(args.sweepA, results, store.models()));
        this.renderHosts(hc);
        return { mode: "hosts", by_host: hc };
      }
      const a = this.guard(() => loadValidSweep(store, args.sweepA));
      const b = this.guard(() => loadValidSweep(store, args.sweepB!));
      const c = compareSweeps(args.sweepA, a, args.sweepB!, b, { tolerance });
      if (c.matchedGroups === 0)
        this.error(`no cells of ${args.sweepA} and ${args.sweepB} match: the sweeps ran different grids`, {
          exit: 2,
        });
      this.renderSweeps(c);
      return { mode: "sweeps", sweeps: sweepComparisonJson(c) };
    } finally {
      store.close();
    }
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof SpecgridError) this.error(err.message, { exit: 2 });
      throw err;
    }
  }

  private renderHosts(hc: HostComparison): void {
    this.log(
      `pair, T | ${hc.hosts.map((h) => `${h}: base t/s, best K, speedup [95% CI], acceptance`).join(" | ")}`,
    );
    for (const r of hc.rows) {
      const cols = hc.hosts.map((h) => {
        const f = r.hosts[h];
        if (f === undefined) return "not run";
        return `${formatNumber(f.baselineTps, 1)}, K=${f.bestK ?? "n/a"}, ${formatNumber(f.speedup)}x ${formatCi(f.speedupCi95 ?? undefined)}, ${formatPct(f.acceptRate ?? undefined)}`;
      });
      this.log(`${r.pair}, T=${r.temperature} | ${cols.join(" | ")}`);
    }
  }

  private renderSweeps(c: SweepComparison): void {
    this.log(
      `${c.sweepB} vs ${c.sweepA}: ${c.matchedGroups} matched cell groups (${c.byHost ? "per host" : "pooled over hosts: no common host"}); ` +
        `${c.onlyInA} only in ${c.sweepA}, ${c.onlyInB} only in ${c.sweepB}`,
    );
    for (const m of c.metrics) {
      this.log(
        `  ${m.metric.padEnd(13)} ${m.verdict.toUpperCase().padEnd(6)} ratio ${formatNumber(m.ratio, 3)} (95% CI ${formatCi(m.ci95, 3)}); ` +
          `${m.groupsAgree} of ${m.groups} groups agree` +
          (m.confoundedBy === undefined
            ? ""
            : `; confounded by contention, not a difference in the system: ${m.confoundedBy}`),
      );
    }
  }
}
