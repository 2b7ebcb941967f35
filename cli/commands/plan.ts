import { SpecgridCommand } from "../workflows/specgrid-command.js";
import { manifestFlags, manifestOptions } from "../workflows/manifest-flags.js";
import { Args, Flags } from "@oclif/core";
import { pairLabel, type Cell, type ShardKey } from "../../core/cell.js";
import { ManifestError } from "../../core/errors.js";
import { loadManifest } from "../../core/manifest/load-manifest.js";
import type { Manifest } from "../../core/manifest/manifest.js";
import { estimateLoads } from "../../core/plan/estimate-run-ms.js";
import { planSweep, type Plan } from "../../core/plan/plan-sweep.js";

export interface PlanShardJson {
  shardId: string;
  key: ShardKey;
  cellIds: string[];
  estimatedMs: number;
  /** Model loads the shard costs: one per cell (CLI tools), per server configuration, or per shard. */
  estimatedLoads: number;
}

export interface PlanResult {
  name: string;
  file: string;
  engine: string;
  placement: Manifest["placement"];
  counts: { baseline: number; speculative: number; parallel: number; bench: number; total: number };
  cells: Cell[];
  shards: PlanShardJson[];
  warnings: string[];
  /** Estimated serial run time on one host (a guess from the manifest's estimate block). */
  estimated_ms: number;
  estimate_basis: string;
}

/** Shards listed in the human output; the rest are counted (all of them are in --json). */
const SHARDS_SHOWN = 40;

function duration(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 1) return `${Math.round(ms / 1000)} s`;
  if (minutes < 120) return `${minutes.toFixed(1)} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}

const pairName = (key: ShardKey): string => pairLabel(key.target.name, key.draft?.name);

export default class PlanCommand extends SpecgridCommand {
  static override description =
    "Expand a sweep manifest into cells (each with a stable, content-addressed cellId) and group them into " +
    "shards; print counts by kind, pair and shard, a run-time estimate and the warnings a careful experimenter " +
    "needs. Nothing runs.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> examples/lab1.yaml",
    "<%= config.bin %> <%= command.id %> examples/lab1.yaml --json > lab1-plan.json",
    "<%= config.bin %> <%= command.id %> examples/hardware-compare.yaml --shard-minutes 10",
  ];

  static override enableJsonFlag = true;

  static override args = {
    manifest: Args.string({ description: "path to the sweep manifest (YAML)", required: true }),
  };

  static override flags = {
    "shard-minutes": Flags.integer({
      description: "cut shards near this estimated duration, minutes",
      default: 5,
      min: 1,
      max: 24 * 60,
    }),
    ...manifestFlags,
  };

  async run(): Promise<PlanResult> {
    const { args, flags } = await this.parse(PlanCommand);
    let manifest: Manifest;
    try {
      manifest = await loadManifest(args.manifest, manifestOptions(flags));
    } catch (err) {
      if (err instanceof ManifestError) this.error(err.message, { exit: 2, code: err.code });
      throw err;
    }
    const plan = planSweep(manifest, { targetShardMs: flags["shard-minutes"] * 60_000 });
    const e = manifest.estimate;
    const result: PlanResult = {
      name: manifest.name,
      file: args.manifest,
      engine: manifest.engine,
      placement: manifest.placement,
      counts: plan.counts,
      cells: plan.cells,
      shards: plan.shards.map((s) => ({
        shardId: s.shardId,
        key: s.key,
        cellIds: s.cells.map((c) => c.cellId),
        estimatedMs: s.estimatedMs,
        estimatedLoads: estimateLoads(s.key.engine, s.cells),
      })),
      warnings: plan.warnings,
      estimated_ms: plan.estimatedMs,
      estimate_basis:
        `estimate, not a measurement: decode ${e.decodeTps} t/s assumed (estimate.decode_tps), speculative at ` +
        `${e.speculativeFactor}× that, ${e.loadMs} ms per model load, shards one after another on one host`,
    };
    this.render(manifest, plan, result);
    return result;
  }

  private render(m: Manifest, plan: Plan, r: PlanResult): void {
    const c = r.counts;
    const placement = typeof m.placement === "string" ? m.placement : JSON.stringify(m.placement);
    this.log(`${r.name} (${r.file}): engine ${r.engine}, placement ${placement}`);
    this.log("");
    this.log("cells by kind");
    for (const [kind, n] of [
      ["speculative", c.speculative],
      ["baseline", c.baseline],
      ["parallel", c.parallel],
      ["bench", c.bench],
      ["total", c.total],
    ] as const) {
      this.log(`  ${kind.padEnd(12)} ${String(n).padStart(8)}`);
    }
    this.log("");
    this.log("cells by pair (target+draft; the target alone for cells without a draft)");
    const byPair = new Map<
      string,
      { speculative: number; baseline: number; parallel: number; bench: number; shards: number }
    >();
    for (const s of plan.shards) {
      const name = pairName(s.key);
      const row = byPair.get(name) ?? { speculative: 0, baseline: 0, parallel: 0, bench: 0, shards: 0 };
      row.shards++;
      for (const cell of s.cells) row[cell.kind]++;
      byPair.set(name, row);
    }
    const width = Math.max(...[...byPair.keys()].map((k) => k.length));
    for (const [name, row] of byPair) {
      this.log(
        `  ${name.padEnd(width)}  speculative ${row.speculative}, baseline ${row.baseline}, ` +
          `parallel ${row.parallel}${row.bench > 0 ? `, llama-bench ${row.bench}` : ""} in ${row.shards} shard(s)`,
      );
    }
    this.log("");
    this.log(`shards (${plan.shards.length})`);
    plan.shards.slice(0, SHARDS_SHOWN).forEach((s, i) => {
      const kinds = { speculative: 0, baseline: 0, parallel: 0, bench: 0 };
      for (const cell of s.cells) kinds[cell.kind]++;
      const parts = Object.entries(kinds)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${n} ${k}`);
      this.log(
        `  ${String(i + 1).padStart(4)}  ${s.shardId.slice(0, 12)}  ${pairName(s.key).padEnd(width)}  ` +
          `${parts.join(", ")}, ${r.shards[i]?.estimatedLoads ?? 0} load(s), ~${duration(s.estimatedMs)}`,
      );
    });
    if (plan.shards.length > SHARDS_SHOWN) {
      this.log(`  … ${plan.shards.length - SHARDS_SHOWN} more (all of them in --json)`);
    }
    this.log("");
    const perHost = m.placement === "spread" ? "" : " per selected host (every cell runs on each)";
    this.log(`run time: ~${duration(r.estimated_ms)}${perHost}; ${r.estimate_basis}.`);
    if (r.warnings.length > 0) {
      this.log("");
      this.log("warnings");
      for (const w of r.warnings) this.log(`  - ${w}`);
    }
  }
}
