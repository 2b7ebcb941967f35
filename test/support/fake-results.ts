// TEST DATA ONLY. Builds a realistic sweep (cells, host snapshots, models, CellResults) from a seeded model
// of speculative decoding, so store/report/compare tests have data whose true parameters are known.
// The product never imports this file.
//
// The model: a pair accepts each draft token with probability alpha(temperature); a step drafts K tokens and
// the target verifies them in one pass, so a step yields E = (1 - alpha^(K+1)) / (1 - alpha) tokens and
// costs targetStepMs * (1 + K * c), where c is the draft's cost relative to the target. Throughputs get
// multiplicative Gaussian noise of relative sd `noise`.
import { createHash } from "node:crypto";

import type { Cell, CellKind, ModelRef } from "../../core/cell.js";
import type { CellMetrics, CellResult, InvalidReason } from "../../core/metrics.js";
import type { Store } from "../../cli/store/open-store.js";
import type { HostSnapshot, ModelRecord, SweepRecord } from "../../cli/store/store-records.js";

export interface FakeHost {
  hostId: string;
  gpuName: string;
  /** Time of one target forward pass during decode, ms. */
  targetStepMs: number;
  /** Draft cost per token relative to one target pass. */
  c: number;
  llamaVersion?: string;
}

export interface FakePair {
  name: string;
  target: string;
  draft: string;
  aligned: boolean;
  /** Acceptance probability per token at temperature 0, and how much it drops per unit of temperature. */
  alpha0: number;
  alphaDropPerTemp: number;
  draftMemoryMib: number;
}

export interface FakeSweepOptions {
  seed?: number;
  sweepId?: string;
  hosts?: FakeHost[];
  pairs?: FakePair[];
  ks?: number[];
  temperatures?: number[];
  prompts?: number;
  repeats?: number;
  /** Concurrency levels of parallel cells (with and without draft, at the pair's first K). Empty: none. */
  concurrency?: number[];
  nPredict?: number;
  /** Relative sd of throughput noise. */
  noise?: number;
  /** Fraction of speculative cells made invalid (reasons rotate). */
  invalidFraction?: number;
  /** Greedy speculative cells whose output differs from the baseline (flagging test). */
  greedyMismatches?: number;
  targetMemoryMib?: number;
  /**
   * Record accepted-by-position on speculative runs and target time and steps on baselines (as the
   * in-process engine does), so α and the costs are measured; false leaves only counts, so they are fitted.
   * @default true
   */
  recordPositions?: boolean;
  /**
   * Record model loads as the in-process engine does: one load per host and shard (its loadId, load time
   * and discarded warm-up on every result it ran, the load and warm-up taking clock time before its first
   * cell) and each cell's prompt processing time.
   * @default false
   */
  recordLoads?: boolean;
}

export interface FakeSweep {
  sweep: SweepRecord;
  hosts: HostSnapshot[];
  models: ModelRecord[];
  cells: Cell[];
  results: CellResult[];
}

export const DEFAULT_HOSTS: FakeHost[] = [
  { hostId: "host-a100", gpuName: "NVIDIA A100-SXM4-80GB", targetStepMs: 20, c: 0.08 },
  { hostId: "host-l4", gpuName: "NVIDIA L4", targetStepMs: 45, c: 0.12 },
];

export const DEFAULT_PAIRS: FakePair[] = [
  {
    name: "llama2-7b+tinyllama",
    target: "llama2-7b",
    draft: "tinyllama-1.1b",
    aligned: true,
    alpha0: 0.8,
    alphaDropPerTemp: 0.25,
    draftMemoryMib: 700,
  },
  {
    name: "llama2-7b+misaligned",
    target: "llama2-7b",
    draft: "other-1b",
    aligned: false,
    alpha0: 0.45,
    alphaDropPerTemp: 0.3,
    draftMemoryMib: 650,
  },
];

/** mulberry32: small, fast, seeded; good enough for test noise. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

export function expectedTokensPerStep(alpha: number, k: number): number {
  return alpha >= 1 ? k + 1 : (1 - alpha ** (k + 1)) / (1 - alpha);
}

export function fakeSweep(opts: FakeSweepOptions = {}): FakeSweep {
  const rand = rng(opts.seed ?? 1);
  const gauss = (): number => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const sweepId = opts.sweepId ?? "sw-fake";
  const hosts = opts.hosts ?? DEFAULT_HOSTS;
  const pairs = opts.pairs ?? DEFAULT_PAIRS;
  const ks = opts.ks ?? [1, 2, 4, 8];
  const temps = opts.temperatures ?? [0, 0.5, 1];
  const prompts = opts.prompts ?? 2;
  const repeats = opts.repeats ?? 3;
  const concurrency = opts.concurrency ?? [1, 2, 4];
  const nPredict = opts.nPredict ?? 128;
  const noise = opts.noise ?? 0.03;
  const invalidFraction = opts.invalidFraction ?? 0;
  let greedyMismatches = opts.greedyMismatches ?? 0;
  const targetMemoryMib = opts.targetMemoryMib ?? 4200;
  const jitter = (): number => Math.max(0.2, 1 + noise * gauss());

  const modelRef = (name: string): ModelRef => ({ name, file: `${name}.gguf`, sha256: sha(`model:${name}`) });
  const modelNames = [...new Set(pairs.flatMap((p) => [p.target, p.draft]))];
  const models: ModelRecord[] = modelNames.map((name) => ({
    sha256: sha(`model:${name}`),
    name,
    file: `${name}.gguf`,
    bytes: 1_000_000,
    facts: { architecture: "llama" },
  }));

  const cells: Cell[] = [];
  const results: CellResult[] = [];
  let invalidCounter = 0;
  const invalidReasons: InvalidReason[] = ["speculation-not-engaged", "stopped-early", "timeout"];

  const makeCell = (
    p: Omit<Cell, "cellId" | "engine" | "llama" | "nPredict" | "promptHash" | "prompt">,
  ): Cell => {
    const params = {
      ...p,
      engine: "in-process" as const,
      prompt: `prompt ${p.promptIndex}`,
      promptHash: sha(`prompt ${p.promptIndex}`),
      nPredict,
      llama: { gpuLayers: 99, ctx: 2048, flashAttn: "auto" as const },
    };
    return { ...params, cellId: sha(JSON.stringify(params)).slice(0, 32) };
  };

  let clock = Date.parse("2026-11-01T00:00:00Z");
  const loaded = new Set<string>();
  const result = (cell: Cell, host: FakeHost, metrics: CellMetrics, invalid?: InvalidReason): CellResult => {
    const shardId = `shard-${cell.kind}-${cell.draft?.name ?? "none"}`;
    if (opts.recordLoads === true) {
      const loadId = `${host.hostId}/${shardId}`;
      metrics.loadId = loadId;
      metrics.loadMs = host.targetStepMs * 100;
      metrics.warmup = { nDecoded: 16, wallMs: host.targetStepMs * 24 + shardId.length, decodeTps: 40 };
      metrics.nPrompt = 32;
      metrics.promptMs = host.targetStepMs;
      if (!loaded.has(loadId)) {
        loaded.add(loadId);
        clock += metrics.loadMs + metrics.warmup.wallMs;
      }
    }
    const startedAt = new Date(clock).toISOString();
    clock += Math.round(metrics.wallMs);
    return {
      sweepId,
      cellId: cell.cellId,
      hostId: host.hostId,
      shardId,
      attempt: 1,
      engine: cell.engine,
      outcome: {
        status: invalid === undefined ? "ok" : "invalid",
        ...(invalid === undefined ? {} : { invalidReason: invalid, message: `fake ${invalid}` }),
        metrics,
        backend: "fake-cuda",
      },
      startedAt,
      finishedAt: new Date(clock).toISOString(),
    };
  };

  const target = pairs[0] === undefined ? "target" : pairs[0].target;
  for (const host of hosts) {
    for (const temperature of temps) {
      for (let promptIndex = 0; promptIndex < prompts; promptIndex++) {
        for (let repeat = 0; repeat < repeats; repeat++) {
          const seed = 1000 + repeat;
          const greedySha = sha(`tokens:${promptIndex}:${seed}`);
          const base = makeCell({
            kind: "baseline",
            target: modelRef(target),
            temperature,
            promptIndex,
            seed,
            repeat,
          });
          if (!cells.some((c) => c.cellId === base.cellId)) cells.push(base);
          const baseTps = (1000 / host.targetStepMs) * jitter();
          const decodeMs = (nPredict / baseTps) * 1000;
          results.push(
            result(base, host, {
              nDecoded: nPredict,
              decodeMs,
              decodeTps: baseTps,
              wallMs: decodeMs + 50,
              ...(opts.recordPositions === false ? {} : { targetMs: decodeMs, targetSteps: nPredict }),
              memoryMib: targetMemoryMib,
              peakVramMib: targetMemoryMib + 300,
              ...(temperature === 0 ? { tokensSha256: greedySha } : {}),
            }),
          );
          for (const pair of pairs) {
            const alpha = Math.min(0.98, Math.max(0.02, pair.alpha0 - pair.alphaDropPerTemp * temperature));
            for (const k of ks) {
              const cell = makeCell({
                kind: "speculative",
                target: modelRef(pair.target),
                draft: modelRef(pair.draft),
                k: { kind: "fixed", k },
                temperature,
                promptIndex,
                seed,
                repeat,
              });
              if (!cells.some((c) => c.cellId === cell.cellId)) cells.push(cell);
              const e = expectedTokensPerStep(alpha, k);
              const stepMs = host.targetStepMs * (1 + k * host.c);
              const tps = (e / stepMs) * 1000 * jitter();
              const targetSteps = Math.max(1, Math.round(nPredict / e));
              const nDrafted = targetSteps * k;
              const nAccept = Math.min(nDrafted, Math.max(0, nPredict - targetSteps));
              const dMs = (nPredict / tps) * 1000;
              let invalid: InvalidReason | undefined;
              if (invalidFraction > 0 && rand() < invalidFraction) {
                invalid = invalidReasons[invalidCounter++ % invalidReasons.length];
              }
              let tokensSha256: string | undefined;
              if (temperature === 0) {
                tokensSha256 = greedySha;
                if (greedyMismatches > 0) {
                  tokensSha256 = sha(`diverged:${cell.cellId}`);
                  greedyMismatches--;
                }
              }
              results.push(
                result(
                  cell,
                  host,
                  {
                    nDecoded: nPredict,
                    decodeMs: dMs,
                    decodeTps: tps,
                    nDrafted: invalid === "speculation-not-engaged" ? 0 : nDrafted,
                    nAccept: invalid === "speculation-not-engaged" ? 0 : nAccept,
                    acceptRate: nDrafted === 0 ? 0 : nAccept / nDrafted,
                    targetSteps,
                    tokensPerStep: nPredict / targetSteps,
                    ...(opts.recordPositions === false
                      ? {}
                      : { acceptByPosition: Array.from({ length: k }, (_, i) => alpha ** (i + 1)) }),
                    draftMs: targetSteps * k * host.c * host.targetStepMs,
                    targetMs: targetSteps * host.targetStepMs,
                    wallMs: dMs + 80,
                    memoryMib: targetMemoryMib + pair.draftMemoryMib,
                    peakVramMib: targetMemoryMib + pair.draftMemoryMib + 350,
                    ...(tokensSha256 === undefined ? {} : { tokensSha256 }),
                  },
                  invalid,
                ),
              );
            }
          }
        }
      }
    }
    // Batching: aggregate throughput grows sublinearly with concurrency; a draft's gain shrinks as the
    // target's batch fills (verification is no longer free).
    for (const n of concurrency) {
      for (let repeat = 0; repeat < repeats; repeat++) {
        const pair = pairs[0];
        const variants: Array<{ kind: CellKind; draft?: FakePair }> = [{ kind: "parallel" }];
        if (pair !== undefined) variants.push({ kind: "parallel", draft: pair });
        for (const v of variants) {
          const k = ks[Math.min(1, ks.length - 1)] ?? 2;
          const cell = makeCell({
            kind: v.kind,
            target: modelRef(target),
            ...(v.draft === undefined
              ? {}
              : { draft: modelRef(v.draft.draft), k: { kind: "fixed" as const, k } }),
            temperature: 0,
            promptIndex: 0,
            seed: 2000 + repeat,
            repeat,
            concurrency: n,
            requests: n * 2,
          });
          if (!cells.some((c) => c.cellId === cell.cellId)) cells.push(cell);
          let aggregate = (1000 / host.targetStepMs) * n ** 0.8;
          if (v.draft !== undefined) {
            const e = expectedTokensPerStep(v.draft.alpha0, k);
            const gain = e / (1 + k * host.c);
            aggregate *= 1 + (gain - 1) / (1 + 0.6 * (n - 1));
          }
          aggregate *= jitter();
          const decodeMs = ((nPredict * n) / aggregate) * 1000;
          results.push(
            result(cell, host, {
              nDecoded: nPredict * n,
              decodeMs,
              decodeTps: aggregate / n,
              aggregateTps: aggregate,
              perSequenceTps: Array.from({ length: n }, () => aggregate / n),
              wallMs: decodeMs + 100,
            }),
          );
        }
      }
    }
  }

  const hostSnapshots: HostSnapshot[] = hosts.map((h) => ({
    hostId: h.hostId,
    hostname: h.hostId,
    os: "Linux",
    cpu: "fake cpu",
    cpuCores: 16,
    memoryMib: 128_000,
    gpus: [{ index: 0, name: h.gpuName, memoryTotalMib: 80_000, driver: "550.54" }],
    driver: "550.54",
    cudaVersion: "12.4",
    llamaVersion: h.llamaVersion ?? "b6100",
    llamaBuildNumber: 6100,
    llamaCommit: "abc1234",
    agentVersion: "0.1.0",
    engineBackend: "fake-cuda",
    labels: {},
  }));

  return {
    sweep: {
      sweepId,
      name: "fake lab sweep",
      state: "done",
      manifestYaml: "name: fake lab sweep\n",
      manifestResolved: { name: "fake lab sweep", seed: opts.seed ?? 1 },
      submittedAt: "2026-11-01T00:00:00.000Z",
      finishedAt: new Date(clock).toISOString(),
    },
    hosts: hostSnapshots,
    models,
    cells,
    results,
  };
}

/** Writes a fake sweep into a store as `results pull` leaves it: sweep, hosts, models, cells, results. */
export function storeFakeSweep(store: Store, d: FakeSweep): void {
  store.upsertSweep(d.sweep);
  store.upsertHosts(d.sweep.sweepId, d.hosts);
  store.upsertModels(d.models);
  store.upsertCells(d.sweep.sweepId, d.cells);
  store.ingestResults(d.results);
}
