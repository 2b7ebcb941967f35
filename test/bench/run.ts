// `npm run bench`: runs each benchmark several times and prints a table, or with --json one JSON object per
// benchmark per line. `--only NAME` (repeatable, or comma-separated) picks benchmarks; `--runs N` overrides
// the run count of every benchmark. Nothing here is part of `npm test`.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openStore, type Store } from "../../cli/store/open-store.js";
import type { BenchResult } from "./bench-result.js";
import { benchCoordinatorMemory } from "./coordinator-memory.js";
import { benchEngine } from "./engine.js";
import { benchFleet } from "./fleet.js";
import { benchIngestRaw, benchIngestStream } from "./ingest.js";
import { benchLoadAmortization } from "./load-amortization.js";
import { benchPipeline } from "./pipeline.js";
import { benchPlan100k } from "./plan-100k.js";
import { benchRealSweep } from "./real-sweep.js";
import { benchReport100k } from "./report-100k.js";
import { benchSpecOverhead } from "./spec-overhead.js";
import { formatTable } from "./format-table.js";
import { sweepOfAtLeast } from "./sweep-100k.js";
import type { FakeSweep } from "../support/fake-results.js";
import { PIPELINE_20K } from "./bench-manifests.js";

interface Bench {
  name: string;
  runs: number;
  /** One result, several (one per case), or why the benchmark cannot run here (printed, not a failure). */
  run(ctx: BenchContext, runs: number): Promise<BenchResult | BenchResult[] | Skipped>;
}

type Skipped = { skipped: string };
const isSkipped = (o: BenchResult | BenchResult[] | Skipped): o is Skipped =>
  !Array.isArray(o) && typeof o.skipped === "string" && !("name" in o);

interface BenchContext {
  dir: string;
  sweep(): FakeSweep;
  /** A store holding the 100k sweep (loaded once, on first use). */
  reportStore(): Store;
}

/** Results the stream ingest publishes and pulls: enough for a steady rate, cheap enough to publish. */
const STREAM_RESULTS = 50_000;

const BENCHES: Bench[] = [
  { name: "plan-100k", runs: 3, run: (c, n) => benchPlan100k(c.dir, n) },
  {
    name: "pipeline",
    runs: 3,
    run: (c, n) => benchPipeline(c.dir, n, PIPELINE_20K),
  },
  {
    name: "ingest",
    runs: 3,
    run: (c, n) => benchIngestStream(c.sweep().results.slice(0, STREAM_RESULTS), c.dir, n),
  },
  { name: "ingest-raw", runs: 3, run: (c, n) => benchIngestRaw(c.sweep().results, c.dir, n) },
  {
    name: "report-100k",
    runs: 3,
    run: (c, n) => {
      const s = c.sweep();
      return benchReport100k(c.reportStore(), s.sweep.sweepId, s.results.length, c.dir, n);
    },
  },
  { name: "load-amortization", runs: 3, run: (c, n) => benchLoadAmortization(c.dir, n) },
  { name: "engine", runs: 3, run: (c, n) => benchEngine(n) },
  { name: "spec-overhead", runs: 3, run: (c, n) => benchSpecOverhead(c.dir, n) },
  // real llama.cpp (SPECGRID_LLAMA_BIN or the `specgrid llama build` cache): minutes per run on 2 cores
  { name: "real-sweep", runs: 1, run: (c, n) => benchRealSweep(c.dir, n) },
  // 64 agent processes and a 100,000-cell sweep: several minutes on 2 cores (docs/scaling.md)
  { name: "fleet", runs: 1, run: (c, n) => benchFleet(c.dir, n) },
  // the fleet's 100,000-cell spread sweep against the coordinator alone, this process playing the agent
  { name: "coordinator-memory", runs: 1, run: (c, n) => benchCoordinatorMemory(c.dir, n) },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      only: { type: "string", multiple: true },
      runs: { type: "string" },
    },
  });
  const only = (values.only ?? []).flatMap((o) => o.split(",")).filter((o) => o !== "");
  const unknown = only.filter((o) => !BENCHES.some((b) => b.name === o));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark(s): ${unknown.join(", ")}; known: ${BENCHES.map((b) => b.name).join(", ")}\n`,
    );
    process.exit(2);
  }
  const runsOverride = values.runs === undefined ? undefined : Number(values.runs);
  if (runsOverride !== undefined && !(Number.isInteger(runsOverride) && runsOverride >= 1)) {
    process.stderr.write(`--runs must be a whole number >= 1, got ${values.runs}\n`);
    process.exit(2);
  }
  const selected = only.length === 0 ? BENCHES : BENCHES.filter((b) => only.includes(b.name));
  const dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-bench-"));
  let sweep: FakeSweep | undefined;
  let store: Store | undefined;
  const ctx: BenchContext = {
    dir,
    sweep: () => (sweep ??= sweepOfAtLeast(100_000)),
    reportStore: () => {
      if (store) return store;
      const s = ctx.sweep();
      store = openStore(path.join(dir, "report.sqlite"));
      store.upsertSweep(s.sweep);
      store.upsertHosts(s.sweep.sweepId, s.hosts);
      store.upsertModels(s.models);
      store.upsertCells(s.sweep.sweepId, s.cells);
      store.ingestResults(s.results);
      return store;
    },
  };
  const results: BenchResult[] = [];
  const started = performance.now();
  let failed = false;
  try {
    for (const b of selected) {
      if (!values.json) process.stderr.write(`running ${b.name}...\n`);
      const t0 = performance.now();
      try {
        const out = await b.run(ctx, runsOverride ?? b.runs);
        if (isSkipped(out)) {
          process.stderr.write(`${b.name} skipped: ${out.skipped}\n`);
          continue;
        }
        const wall = Math.round((performance.now() - t0) / 100) / 10;
        for (const result of Array.isArray(out) ? out : [out]) {
          result.bench_wall_s = wall;
          results.push(result);
          if (values.json) process.stdout.write(JSON.stringify(result) + "\n");
        }
      } catch (err) {
        failed = true;
        process.stderr.write(
          `${b.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
        );
      }
    }
  } finally {
    store?.close();
    await rm(dir, { recursive: true, force: true });
  }
  if (!values.json) {
    process.stdout.write(formatTable(results));
    process.stdout.write(`total ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  // a failed benchmark is an error; a missed target is a finding, reported in the table and JSON
  process.exit(failed ? 1 : 0);
}

// On Ctrl-C or a timeout's SIGTERM, exit through process.exit: the nats-server launcher kills its server's
// process group from an exit hook, which a signal's default action would skip (leaving servers behind).
process.once("SIGINT", () => process.exit(130));
process.once("SIGTERM", () => process.exit(143));

await main();
