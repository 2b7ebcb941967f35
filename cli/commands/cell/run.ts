import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { llamaBinFlag } from "../../workflows/llama-bin-flag.js";
import os from "node:os";
import path from "node:path";
import { Flags } from "@oclif/core";
import { createEngine } from "../../../agents/engines/create-engine.js";
import { probeLlamaEngines } from "../../../agents/probe/probe-llama-engines.js";
import {
  ADAPTIVE_K_DEFAULTS,
  ENGINE_NAMES,
  kLabel,
  kPolicyOf,
  type Cell,
  type CellParams,
  type KPolicy,
  type ShardKey,
} from "../../../core/cell.js";
import { SpecgridError } from "../../../core/errors.js";
import { checkGgufModelFile } from "../../../core/gguf/read-gguf-header.js";
import { cellIdOf, sha256Hex } from "../../../core/ids.js";
import { toSnakeCaseMetrics, type CellOutcome, type SnakeCaseMetrics } from "../../../core/metrics.js";
import { llamaBinFor, llamaBinJson, type LlamaBinJson } from "../../workflows/agent-engine.js";
import { describeLlamaBin } from "../../workflows/llama-build.js";

/** CellMetrics with the snake_case keys of the --json output. */
/** The cell's metrics by their snake_case names (core/metrics.ts METRIC_FIELDS). */
export type CellRunMetricsJson = SnakeCaseMetrics;

export interface CellRunResult {
  engine: string;
  /** What ran, as the engine describes it (e.g. "node-llama-cpp 3.21.1 cpu (llama.cpp v0.4.0)"). */
  backend: string;
  kind: Cell["kind"];
  target: string;
  draft?: string;
  k?: KPolicy;
  temperature: number;
  seed: number;
  n_predict: number;
  prompt: string;
  concurrency?: number;
  /** The llama.cpp build that ran the cell (llama.cpp engines only). */
  llama?: LlamaBinJson;
  runs: {
    repeat: number;
    cell_id: string;
    status: CellOutcome["status"];
    invalid_reason?: string;
    message?: string;
    metrics?: CellRunMetricsJson;
    /** llama.cpp engines: the exact argv that ran (the server's, for llama-server). */
    command?: string[];
    stderr_tail?: string;
  }[];
}

const DEFAULT_PROMPT = "The quick brown fox jumps over the lazy dog";

export default class CellRun extends SpecgridCommand {
  static override description =
    "Run one cell (baseline, speculative or parallel) on this machine, no cluster: the quickest way to try " +
    "one configuration. With --draft it runs speculative decoding (the in-process engine uses the project's " +
    "own exact rejection sampler); without, the target alone. --concurrency N decodes N sequences at once.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> --target models/target.gguf --n-predict 64",
    "<%= config.bin %> <%= command.id %> --target models/target.gguf --draft models/draft-n0.02.gguf --k 4 --temperature 0.7 --seed 1 --json",
    "<%= config.bin %> <%= command.id %> --target models/target.gguf --draft models/draft-n0.05.gguf --k adaptive --k-max 8 --repeats 3",
    "<%= config.bin %> <%= command.id %> --target models/target.gguf --concurrency 4 --n-predict 32",
  ];

  static override enableJsonFlag = true;

  static override flags = {
    engine: Flags.string({
      description: "engine that runs the cell",
      options: [...ENGINE_NAMES],
      default: "in-process",
    }),
    target: Flags.file({ description: "target model (.gguf)", required: true, exists: true }),
    draft: Flags.file({ description: "draft model (.gguf); makes the cell speculative", exists: true }),
    k: Flags.string({
      description:
        "draft tokens per step: a number, or 'adaptive' (raise K when acceptance is high, lower when low)",
      default: "4",
    }),
    // the defaults a manifest's adaptive: block has (core/cell.ts ADAPTIVE_K_DEFAULTS)
    "k-min": Flags.integer({
      description: "adaptive K: smallest K",
      default: ADAPTIVE_K_DEFAULTS.kMin,
      min: 1,
    }),
    "k-max": Flags.integer({
      description: "adaptive K: largest K",
      default: ADAPTIVE_K_DEFAULTS.kMax,
      min: 1,
    }),
    "k-start": Flags.integer({
      description: "adaptive K: K of the first step",
      default: ADAPTIVE_K_DEFAULTS.kStart,
      min: 1,
    }),
    "raise-above": Flags.string({
      description: "adaptive K: raise K when recent acceptance is above this (0-1)",
      default: String(ADAPTIVE_K_DEFAULTS.raiseAbove),
    }),
    "lower-below": Flags.string({
      description: "adaptive K: lower K when recent acceptance is below this (0-1)",
      default: String(ADAPTIVE_K_DEFAULTS.lowerBelow),
    }),
    temperature: Flags.string({ description: "sampling temperature; 0 is greedy", default: "0" }),
    seed: Flags.integer({ description: "sampling seed (a seeded run repeats exactly)", default: 42, min: 0 }),
    "n-predict": Flags.integer({ description: "tokens to generate", default: 64, min: 1 }),
    prompt: Flags.string({ description: "prompt text (raw, no chat template)", default: DEFAULT_PROMPT }),
    repeats: Flags.integer({ description: "how many times to run the cell", default: 1, min: 1 }),
    concurrency: Flags.integer({
      description: "sequences decoded at once (a parallel cell when above 1)",
      default: 1,
      min: 1,
    }),
    threads: Flags.integer({
      description: "threads per context (default: 1 on machines with <= 4 cores)",
      min: 1,
    }),
    ctx: Flags.integer({ description: "context tokens per sequence", default: 2048, min: 16 }),
    "llama-bin": llamaBinFlag(),
    gpu: Flags.string({
      description: "in-process backend: auto probes CUDA, then falls back to CPU",
      options: ["auto", "cuda", "cpu"],
      default: "auto",
    }),
  };

  async run(): Promise<CellRunResult> {
    const { flags } = await this.parse(CellRun);
    const bad = (message: string): never => this.error(message, { exit: 2 });
    const temperature = Number(flags.temperature);
    if (!Number.isFinite(temperature) || temperature < 0) {
      bad(`--temperature must be a number >= 0, got "${flags.temperature}"`);
    }
    const kPolicy = flags.draft === undefined ? undefined : this.parseK(flags, bad);
    if (flags["n-predict"] >= flags.ctx) {
      bad(
        `--n-predict ${flags["n-predict"]} does not fit a context of --ctx ${flags.ctx} tokens; raise --ctx`,
      );
    }
    // Before any engine sees them: llama.cpp's loaders hang or crash on some malformed headers.
    for (const file of [flags.target, ...(flags.draft === undefined ? [] : [flags.draft])]) {
      try {
        await checkGgufModelFile(file);
      } catch (err) {
        if (err instanceof SpecgridError) bad(err.message);
        throw err;
      }
    }
    const engineName = flags.engine as CellParams["engine"];
    const target = { name: path.basename(flags.target), file: path.basename(flags.target) };
    const draft =
      flags.draft === undefined
        ? undefined
        : { name: path.basename(flags.draft), file: path.basename(flags.draft) };
    const kind: Cell["kind"] = flags.concurrency > 1 ? "parallel" : draft ? "speculative" : "baseline";
    const llama = {
      gpuLayers: 999,
      ctx: flags.ctx,
      flashAttn: "auto" as const,
      ...(flags.threads === undefined ? {} : { threads: flags.threads }),
    };
    const key: ShardKey = { engine: engineName, target, ...(draft ? { draft } : {}), llama };

    let engine;
    let llamaBin;
    try {
      llamaBin = await llamaBinFor(engineName, flags["llama-bin"]);
      if (llamaBin !== undefined && !this.jsonEnabled())
        process.stderr.write(`${describeLlamaBin(llamaBin)}\n`);
      engine = await createEngine(engineName, {
        inProcess: {
          gpu: flags.gpu as "auto" | "cuda" | "cpu",
          ...(flags.threads === undefined ? {} : { threads: flags.threads }),
        },
        ...(llamaBin === undefined ? {} : { llama: await probeLlamaEngines(llamaBin.binDir) }),
      });
    } catch (err) {
      if (err instanceof SpecgridError) bad(err.message);
      throw err;
    }
    const result: CellRunResult = {
      engine: engineName,
      backend: "",
      kind,
      target: flags.target,
      ...(flags.draft === undefined ? {} : { draft: flags.draft }),
      ...(kPolicy ? { k: kPolicy } : {}),
      temperature,
      seed: flags.seed,
      n_predict: flags["n-predict"],
      prompt: flags.prompt,
      ...(flags.concurrency > 1 ? { concurrency: flags.concurrency } : {}),
      ...(llamaBin === undefined ? {} : { llama: llamaBinJson(llamaBin) }),
      runs: [],
    };
    try {
      result.backend = await engine.describe();
      let session;
      try {
        session = await engine.openSession({
          key,
          models: {
            targetPath: flags.target,
            ...(flags.draft === undefined ? {} : { draftPath: flags.draft }),
          },
        });
      } catch (err) {
        // A pair that cannot work (vocabulary) is bad input: say so before anything runs.
        if (err instanceof SpecgridError && !err.retryable) bad(err.message);
        throw err;
      }
      try {
        for (let repeat = 0; repeat < flags.repeats; repeat++) {
          const params: CellParams = {
            kind,
            engine: engineName,
            target,
            ...(draft ? { draft } : {}),
            ...(kPolicy ? { k: kPolicy } : {}),
            temperature,
            prompt: flags.prompt,
            promptHash: sha256Hex(flags.prompt),
            promptIndex: 0,
            nPredict: flags["n-predict"],
            seed: flags.seed,
            repeat,
            ...(flags.concurrency > 1 ? { concurrency: flags.concurrency, requests: flags.concurrency } : {}),
            llama,
          };
          const cell: Cell = { ...params, cellId: cellIdOf(params) };
          const outcome = await session.runCell(cell);
          result.runs.push({
            repeat,
            cell_id: cell.cellId,
            status: outcome.status,
            ...(outcome.invalidReason === undefined ? {} : { invalid_reason: outcome.invalidReason }),
            ...(outcome.message === undefined ? {} : { message: outcome.message }),
            ...(outcome.metrics ? { metrics: toSnakeCaseMetrics(outcome.metrics) } : {}),
            ...(outcome.command ? { command: outcome.command } : {}),
            ...(outcome.stderrTail ? { stderr_tail: outcome.stderrTail } : {}),
          });
        }
      } finally {
        await session.close();
      }
    } finally {
      await engine.dispose();
    }
    if (result.runs.some((r) => r.status !== "ok")) process.exitCode = 1;
    if (!this.jsonEnabled()) this.render(result);
    return result;
  }

  private parseK(
    flags: {
      k: string;
      "k-min": number;
      "k-max": number;
      "k-start": number;
      "raise-above": string;
      "lower-below": string;
    },
    bad: (message: string) => never,
  ): KPolicy {
    if (flags.k === "adaptive") {
      const raiseAbove = Number(flags["raise-above"]);
      const lowerBelow = Number(flags["lower-below"]);
      if (!(lowerBelow >= 0 && raiseAbove <= 1 && lowerBelow < raiseAbove)) {
        bad(
          `adaptive K needs 0 <= --lower-below < --raise-above <= 1, got ${flags["lower-below"]} and ${flags["raise-above"]}`,
        );
      }
      const kMin = flags["k-min"];
      const kMax = flags["k-max"];
      if (kMax < kMin) bad(`--k-max ${kMax} is below --k-min ${kMin}`);
      const kStart = Math.min(Math.max(flags["k-start"], kMin), kMax);
      if (kStart !== flags["k-start"])
        bad(`--k-start ${flags["k-start"]} is outside [--k-min, --k-max] = [${kMin}, ${kMax}]`);
      return kPolicyOf("adaptive", { kMin, kMax, kStart, raiseAbove, lowerBelow });
    }
    const k = Number(flags.k);
    if (!Number.isInteger(k) || k < 1) bad(`--k must be an integer >= 1 or "adaptive", got "${flags.k}"`);
    return kPolicyOf(k);
  }

  private render(r: CellRunResult): void {
    const k = r.k === undefined ? "" : `, K ${kLabel(r.k)}`;
    this.log(
      `${r.kind} cell on ${r.backend}: T=${r.temperature}, seed ${r.seed}, n_predict ${r.n_predict}${k}`,
    );
    const header = [
      "repeat",
      "status",
      "decoded",
      "decode t/s",
      "prompt t/s",
      "accept",
      "tok/step",
      "mean K",
    ];
    const fmt = (x: number | undefined, digits: number): string =>
      x === undefined ? "-" : x.toFixed(digits);
    const rows = r.runs.map((run) => {
      const m = run.metrics;
      return [
        String(run.repeat),
        run.status + (run.invalid_reason ? ` (${run.invalid_reason})` : ""),
        m ? String(m.n_decoded) : "-",
        fmt(m?.aggregate_tps ?? m?.decode_tps, 1),
        fmt(m?.prompt_tps, 1),
        m?.n_drafted === undefined ? "-" : `${m.n_accept}/${m.n_drafted} ${fmt(m.accept_rate, 3)}`,
        fmt(m?.tokens_per_step, 2),
        fmt(m?.mean_k, 2),
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    for (const row of [header, ...rows])
      this.log(
        row
          .map((c, i) => c.padEnd(widths[i]!))
          .join("  ")
          .trimEnd(),
      );
    for (const run of r.runs) if (run.message) this.log(`repeat ${run.repeat}: ${run.message}`);
    const command = r.runs[0]?.command;
    if (command) this.log(`command: ${command.map(shellQuote).join(" ")}`);
    const text = r.runs[0]?.metrics?.text;
    if (text !== undefined) this.log(`text: ${JSON.stringify(text.slice(0, 200))}`);
    if (os.availableParallelism() <= 2 && r.runs.length > 0) {
      this.log("note: on a busy 2-core machine t/s figures are noisy; compare repeats, not single runs");
    }
  }
}

/** Quote one argv element for a POSIX shell, so the printed command can be pasted to reproduce a run. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
