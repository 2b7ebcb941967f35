import { SpecgridCommand } from "../workflows/specgrid-command.js";
import { llamaBinFlag } from "../workflows/llama-bin-flag.js";
import { copyFile, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { runSummaryLine } from "../workflows/run-summary-line.js";
import { Flags } from "@oclif/core";
import { parseDocument } from "yaml";
import { freeCores, probeIdleCores, threadsFromIdleCores } from "../../agents/probe/probe-idle-cores.js";
import { synthesizeLabFamily } from "../../core/gguf/synth-lab-family.js";
import { runEmbedded, type RunEmbeddedResult } from "../workflows/run-embedded.js";
import { MANIFEST_ENGINES } from "../../core/manifest/manifest-schema.js";
import type { ManifestEngine } from "../../core/manifest/manifest.js";
import { llamaBinFor } from "../workflows/agent-engine.js";

export interface DemoResult extends RunEmbeddedResult {
  manifest: string;
  models_dir: string;
  /** Threads per engine the demo ran with, and why. */
  threads: number;
  threads_reason: string;
  /** Idle cores measured just before the run (idle CPU-seconds per second), and the host's cores. */
  idle_cores: number;
  cores: number;
}

const MB = 1e6;

export default class Demo extends SpecgridCommand {
  static override description =
    "The first thing to run: synthesizes the lab model family (a 160 MiB bandwidth-bound target and " +
    "early-exit drafts that are slices of it), writes the demo manifest (K 1-8, temperatures 0-1.5, " +
    "baselines, batching) for the in-process engine, runs it on this machine (embedded nats-server, " +
    "coordinator and agent) with threads chosen from the idle cores, and writes the report. " +
    "About 5 minutes on 2 CPU cores. --engine llama-server (or another llama.cpp engine) runs the same grid " +
    "with llama.cpp (the build of 'specgrid llama build', or --llama-bin).";

  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --out /tmp/demo --json",
    "<%= config.bin %> <%= command.id %> --engine llama-server",
  ];

  static override enableJsonFlag = true;

  static override flags = {
    out: Flags.string({
      description: "directory for models, manifest, database and report",
      default: "specgrid-demo",
    }),
    agents: Flags.integer({ description: "local agents", default: 1, min: 1, max: 4 }),
    threads: Flags.integer({
      description:
        "threads per engine [default: the idle cores measured before the run, shared among the agents, at least 1]",
      min: 1,
    }),
    engine: Flags.string({
      description: "engine the demo runs with",
      options: [...MANIFEST_ENGINES],
      default: "in-process",
    }),
    force: Flags.boolean({
      description:
        "run into an --out that already holds a demo: replaces its demo.yaml and report (results already in its database stay)",
      default: false,
    }),
    "llama-bin": llamaBinFlag(),
  };

  async run(): Promise<DemoResult> {
    const { flags } = await this.parse(Demo);
    const engine = flags.engine as ManifestEngine;
    // before anything is written: a llama.cpp engine with no build fails here, saying how to get one
    const llamaBin = await llamaBinFor(engine, flags["llama-bin"]).catch((err: unknown) =>
      this.badInput(err),
    );
    const out = path.resolve(flags.out);
    const existing = await demoFilesIn(out);
    if (existing.length > 0 && !flags.force) {
      this.error(
        `${out} already holds a demo (${existing.join(", ")}); nothing was changed. Pass another --out, or ` +
          "--force to replace its demo.yaml and report. To run an edited demo.yaml, use " +
          `\`specgrid run ${path.join(out, "demo.yaml")} --models ${path.join(out, "models")} --out NEW_DIR\`.`,
        { exit: 2 },
      );
    }
    const modelsDir = path.join(out, "models");
    await mkdir(modelsDir, { recursive: true });
    process.stderr.write(`synthesizing the lab model family into ${modelsDir}\n`);
    const synthStart = performance.now();
    const tty = process.stderr.isTTY === true;
    const files = await synthesizeLabFamily({
      outDir: modelsDir,
      seed: 1,
      onProgress: ({ file, writtenBytes, totalBytes }) => {
        if (tty && totalBytes >= 20 * MB)
          process.stderr.write(
            `\r  writing ${file}: ${(writtenBytes / MB).toFixed(0)} / ${(totalBytes / MB).toFixed(0)} MB`,
          );
      },
    });
    if (tty) process.stderr.write("\n");
    for (const f of files)
      process.stderr.write(`  ${f.file.padEnd(20)} ${(f.bytes / MB).toFixed(1).padStart(6)} MB  ${f.role}\n`);
    process.stderr.write(`  written in ${((performance.now() - synthStart) / 1000).toFixed(1)} s\n`);

    const idle = await probeIdleCores();
    // the demo's own coordinator, NATS server and agent run beside the engines: one core stays theirs (on an
    // idle 2-core host two engine threads spun against them and the d20 pair's interval spanned 0.68-2.26x)
    const fromIdle = threadsFromIdleCores(idle, flags.agents, DEMO_STACK_CORES);
    const threads = flags.threads ?? fromIdle;
    const measured = idle.measured
      ? `${idle.idleCores.toFixed(1)} of ${idle.cores} cores idle over ${idle.sampleMs} ms, load average ${idle.loadAvg1.toFixed(1)}`
      : `${idle.cores} cores, idle time not measurable here (no /proc)`;
    const reason =
      flags.threads !== undefined
        ? `--threads ${flags.threads} (${measured})`
        : freeCores(idle) < flags.agents
          ? `${measured}: the host is busy, so 1 thread per engine; figures will be noisy`
          : `${measured}, less ${DEMO_STACK_CORES} for the demo's coordinator, NATS server and agent, shared by ${flags.agents} engine(s)`;
    process.stderr.write(`threads: ${threads} per engine (${reason})\n`);
    if (flags.threads !== undefined && flags.threads * flags.agents > Math.max(1, freeCores(idle)))
      this.warn(
        `--threads ${flags.threads} x ${flags.agents} agent(s) is more than the ${idle.idleCores.toFixed(1)} idle cores: ` +
          "oversubscribed threads spin against each other and every t/s figure suffers",
      );

    const manifest = path.join(out, "demo.yaml");
    const example = path.join(this.config.root, "examples", "demo-cpu.yaml");
    const text = await readFile(example, "utf8").catch(() =>
      this.error(`examples/demo-cpu.yaml not found under ${this.config.root}; reinstall specgrid`, {
        exit: 2,
      }),
    );
    const doc = parseDocument(text);
    doc.setIn(["llama", "threads"], threads);
    await writeFile(manifest, doc.toString());
    const promptsDir = path.join(this.config.root, "examples", "prompts");
    await copyPromptFiles(promptsDir, path.join(out, "prompts"));
    const result = await runEmbedded({
      manifest,
      agents: flags.agents,
      modelDirs: [modelsDir],
      engine,
      ...(llamaBin === undefined ? {} : { llamaBin }),
      dbFile: path.join(out, "specgrid.sqlite"),
      outDir: out,
      write: (t) => process.stderr.write(t),
      tty,
    }).catch((err: unknown) => this.badInput(err));
    this.log(
      `${runSummaryLine("demo sweep", result)}; ${(result.wall_ms / 1000).toFixed(0)} s, ${threads} thread(s) per engine`,
    );
    this.log(`database: ${result.db}`);
    const docs = result.report_files.filter((f) => /\.(md|html)$/.test(f));
    if (docs.length > 0) this.log(`report: ${docs.join(", ")}`);
    if (result.report_error) this.warn(`no report: ${result.report_error}`);
    return {
      ...result,
      manifest,
      models_dir: modelsDir,
      threads,
      threads_reason: reason,
      idle_cores: idle.idleCores,
      cores: idle.cores,
    };
  }
}

/** Cores kept for the demo's embedded coordinator, NATS server and agent (never the last free one). */
const DEMO_STACK_CORES = 1;

/** The demo manifest may name prompt files relative to itself; bring them along. */
async function copyPromptFiles(from: string, to: string): Promise<void> {
  const files = await readdir(from).catch(() => [] as string[]);
  if (files.length === 0) return;
  await mkdir(to, { recursive: true });
  for (const f of files) await copyFile(path.join(from, f), path.join(to, f));
}

/** What a demo writes that a user may have edited or still want: the manifest, the database, the report. */
const DEMO_OUTPUTS = ["demo.yaml", "specgrid.sqlite", "report.md", "report.html"];

/** The demo outputs already in `out` (none when it does not exist). */
export async function demoFilesIn(out: string): Promise<string[]> {
  const names = await readdir(out).catch(() => [] as string[]);
  return DEMO_OUTPUTS.filter((f) => names.includes(f));
}
