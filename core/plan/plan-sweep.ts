// Expands a manifest's grid into cells and groups them into shards.
//
// Shard design: one shard key per (engine, target, draft, llama settings), so an agent loads a pair once per
// shard. Speculation types without a draft model (n-gram, MTP; core/spec-types.ts) are planned once per
// target under a key with no draft, so a target named by several pairs runs them once. A pair may name no draft:
// its target runs the draftless types only.
//
// Measurement protocol (docs/metrics.md): baseline and speculative runs alternate (ABAB). Every speculative
// cell has a baseline cell of its own (same target, temperature, prompt, seed and repeat; `pairedWith` names
// the speculative cell), planned right before it in the same shard, so the paired speedup divides runs
// seconds apart on one host, never runs minutes apart or from another pair's shard. A baseline therefore
// runs once per speculative configuration: the baseline t/s summary has as many runs as the speculative
// side.
//
// Cell order inside a pair depends on what a change of K costs the engine:
// - in-process and the CLI tools: cells come in (temperature, prompt, repeat) groups, each K and p_min as a
//   (baseline, speculative) unit, so each group runs back to back on one host; groups are never split.
// - llama-server starts one server per configuration (draft or none, K, p_min, slots; core/plan/
//   server-blocks.ts): cells come in configuration blocks, one per (method, K, p_min), each in (repeat,
//   temperature, prompt) order, every speculative cell preceded by its baseline, so the session keeps the
//   baseline server beside one speculative server at a time (one baseline start per shard); an agent
//   without the memory for both regroups them into a block of their own (agents/engines/llama-server).
//   Shards are cut between blocks where a block fits, inside a block (between baseline/speculative units)
//   only when one block alone exceeds the target duration. A shard's estimate counts one load per
//   configuration in it.
// Parallel cells get their own shards per (engine, target, draft or none).
//
// Linear in the number of cells: 100,000 cells plan in well under a second.
import { kPolicyOf, type Cell, type ModelRef, type Shard, type ShardKey } from "../cell.js";
import { ENGINE_TRAITS } from "../engines.js";
import { canonicalJson, cellIdOf, shardIdOf, sha256Hex, type CellIdentityMemo } from "../ids.js";
import type { Manifest } from "../manifest/manifest.js";
import { estimateCellMs, loadsPerCell } from "./estimate-run-ms.js";
import { planWarnings } from "./plan-warnings.js";
import { serverKeyOf, startsServerPerConfig } from "./server-blocks.js";
import { specConfigs, type SpecConfig } from "./spec-configs.js";
import { DEFAULT_SPEC_TYPE } from "../spec-types.js";

export interface PlanCounts {
  baseline: number;
  speculative: number;
  parallel: number;
  /** llama-bench baselines (manifest `llama_bench:`). */
  bench: number;
  total: number;
}

export interface Plan {
  counts: PlanCounts;
  /** Every cell once, in shard order. */
  cells: Cell[];
  shards: Shard[];
  warnings: string[];
  /** Estimated run time of all shards one after another on one host (an estimate, not a measurement). */
  estimatedMs: number;
}

export interface PlanOptions {
  /** Shards are cut near this estimated duration. @default 300_000 (5 minutes) */
  targetShardMs?: number;
}

const DEFAULT_TARGET_SHARD_MS = 300_000;

function modelRef(m: Manifest, name: string): ModelRef {
  const model = m.models[name];
  return {
    name,
    ...(model?.file === undefined ? {} : { file: model.file }),
    ...(model?.sha256 === undefined ? {} : { sha256: model.sha256 }),
  };
}

/**
 * Sets the cell's id from its own content (cells are built complete first, then hashed once). `memo` holds
 * canonicalJson of the cell's own `k` and `llama` objects, shared by many cells.
 */
function withId(cell: Cell, memo?: CellIdentityMemo): Cell {
  cell.cellId = cellIdOf(cell, memo);
  return cell;
}

/**
 * A shard travels as one NATS message, and nats-server refuses messages over max_payload (1 MiB by default).
 * Cells carry their prompt, so long prompts cut shards by size as well as by time.
 */
export const MAX_SHARD_PAYLOAD_BYTES = 768 * 1024;
/** Encoded size of a cell besides its prompt (ids, hashes, parameters), rounded up. */
const CELL_OVERHEAD_BYTES = 512;

/**
 * Cuts a key's cells into shards near the target duration and under the payload limit. Units (cells that
 * must share a shard) stay whole; a block of units is moved whole to a fresh shard when it does not fit the
 * current one but would fit an empty one.
 */
class ShardCutter {
  private current: Cell[] = [];
  private currentMs = 0;
  private currentBytes = 0;
  /** Server engines: configurations the current shard starts, each costing one load. */
  private servers = new Set<string>();
  private readonly perCellLoadMs: number;
  private readonly perServer: boolean;

  constructor(
    private readonly key: ShardKey,
    private readonly m: Manifest,
    private readonly targetMs: number,
    private readonly out: Shard[],
  ) {
    this.perCellLoadMs = loadsPerCell(key.engine) ? m.estimate.loadMs : 0;
    this.perServer = startsServerPerConfig(key.engine);
  }

  /** Estimated time and payload the cells add to the current shard (new server configurations included). */
  private cost(cells: readonly Cell[], seen: Set<string>): { ms: number; bytes: number } {
    let ms = 0;
    let bytes = 0;
    for (const c of cells) {
      ms += estimateCellMs(c, this.m.estimate) + this.perCellLoadMs;
      bytes += Buffer.byteLength(c.prompt) + CELL_OVERHEAD_BYTES;
      if (this.perServer) {
        const server = serverKeyOf(c);
        if (!seen.has(server)) {
          seen.add(server);
          ms += this.m.estimate.loadMs;
        }
      }
    }
    return { ms, bytes };
  }

  private fits(cost: { ms: number; bytes: number }): boolean {
    return (
      this.currentMs + cost.ms <= this.targetMs && this.currentBytes + cost.bytes <= MAX_SHARD_PAYLOAD_BYTES
    );
  }

  add(unit: readonly Cell[]): void {
    let cost = this.cost(unit, new Set(this.servers));
    if (this.current.length > 0 && !this.fits(cost)) {
      this.flush();
      cost = this.cost(unit, new Set());
    }
    this.current.push(...unit);
    this.currentMs += cost.ms;
    this.currentBytes += cost.bytes;
    if (this.perServer) for (const c of unit) this.servers.add(serverKeyOf(c));
  }

  /** One configuration's units: cut before the block when it fits a shard of its own, inside it otherwise. */
  addBlock(units: readonly (readonly Cell[])[]): void {
    const all = units.flat();
    if (this.current.length > 0 && !this.fits(this.cost(all, new Set(this.servers)))) {
      const alone = this.cost(all, new Set());
      if (alone.ms <= this.targetMs && alone.bytes <= MAX_SHARD_PAYLOAD_BYTES) this.flush();
    }
    for (const unit of units) this.add(unit);
  }

  flush(): void {
    if (this.current.length === 0) return;
    const cells = this.current;
    // the in-process engine loads once per shard, outside the per-cell costs
    const sessionLoadMs = ENGINE_TRAITS[this.key.engine].loads === "session" ? this.m.estimate.loadMs : 0;
    this.out.push({
      shardId: shardIdOf(
        this.key,
        cells.map((c) => c.cellId),
      ),
      key: this.key,
      cells,
      estimatedMs: Math.round(this.currentMs + sessionLoadMs),
    });
    this.current = [];
    this.currentMs = 0;
    this.currentBytes = 0;
    this.servers = new Set();
  }
}

/**
 * Spreads one (temperature, prompt, repeat) group's units over the configuration blocks: one unit per
 * (K, p_min) in block order, each a speculative cell with its baseline before it (or alone without
 * baselines).
 */
function addToBlocks(blocks: Cell[][][], units: readonly Cell[][], blockOf: readonly number[]): void {
  units.forEach((unit, i) => blocks[blockOf[i] ?? i]?.push(unit));
}

/**
 * Which speculative configurations to plan at a repeat index (extra precision repeats plan a few groups at
 * one repeat); every one at every planned repeat when absent.
 */
export interface RepeatSelection {
  repeats: readonly number[];
  /** `precisionGroupKey` of the groups to plan. */
  groups: ReadonlySet<string>;
}

/**
 * The adaptive-repeat group of a speculative cell: (target, draft, speculation method, K, p_min, tree,
 * temperature) by model identity.
 */
export function precisionGroupKey(
  cell: Pick<
    Cell,
    "target" | "draft" | "k" | "pMin" | "temperature" | "nParallel" | "pSplit" | "specType" | "specSettings"
  >,
): string {
  const key = [
    cell.target.sha256 ?? cell.target.file ?? cell.target.name,
    cell.draft?.sha256 ?? cell.draft?.file ?? cell.draft?.name ?? "",
    canonicalJson(cell.k ?? null),
    cell.pMin ?? 0,
    cell.temperature,
  ];
  // tree configurations and methods other than draft-simple are groups of their own; keys without one
  // stay as they were
  if (cell.nParallel !== undefined) key.push(`np${cell.nParallel}/ps${cell.pSplit ?? ""}`);
  if (cell.specType !== undefined && cell.specType !== DEFAULT_SPEC_TYPE) key.push(cell.specType);
  if (cell.specSettings !== undefined) key.push(canonicalJson(cell.specSettings));
  return key.join("|");
}

/** A shard key's speculative configurations: a pair's draft-model types, or a target's draftless ones. */
interface Lane {
  target: ModelRef;
  draft?: ModelRef;
  configs: SpecConfig[];
}

function lanesOf(m: Manifest, configs: readonly SpecConfig[]): Lane[] {
  const lanes: Lane[] = [];
  const withDraft = configs.filter((c) => c.draftModel);
  const draftless = configs.filter((c) => !c.draftModel);
  if (withDraft.length > 0) {
    // the manifest check refuses draft types on a pair without a draft
    for (const pair of m.pairs) {
      if (pair.draft === undefined) continue;
      lanes.push({ target: modelRef(m, pair.target), draft: modelRef(m, pair.draft), configs: withDraft });
    }
  }
  if (draftless.length > 0) {
    // once per target, however many pairs name it
    for (const target of new Set(m.pairs.map((p) => p.target))) {
      lanes.push({ target: modelRef(m, target), configs: draftless });
    }
  }
  return lanes;
}

function planSpeculative(
  m: Manifest,
  targetMs: number,
  shards: Shard[],
  select?: RepeatSelection,
): { baseline: number; speculative: number } {
  const s = m.sweep;
  const promptHashes = m.prompts.map((p) => sha256Hex(p.text));
  const policies = s.k.map((k) => kPolicyOf(k, m.adaptive));
  const configs = specConfigs({
    specType: s.specType,
    specSettings: s.specSettings,
    k: policies,
    pMin: s.pMin,
    ...(s.tree === undefined ? {} : { tree: s.tree }),
  });
  const llamaJson = canonicalJson(m.llama);
  const policyMemos = policies.map((k) => ({ kJson: canonicalJson(k), llamaJson }));
  const baseMemo = { llamaJson };
  let baseline = 0;
  let speculative = 0;
  const withBaseline = m.baseline;
  for (const lane of lanesOf(m, configs)) {
    const { target, draft } = lane;
    const key: ShardKey = {
      engine: m.engine,
      target,
      ...(draft === undefined ? {} : { draft }),
      llama: m.llama,
    };
    const cutter = new ShardCutter(key, m, targetMs, shards);
    // server engines: one block per configuration, filled group by group below
    const blocks: Cell[][][] | undefined = startsServerPerConfig(m.engine)
      ? Array.from({ length: lane.configs.length }, () => [])
      : undefined;
    // Repeats outermost: when a pair spans several shards, each repeat lands apart in time (and often on
    // another host), so drift shows up as spread between repeats instead of hiding inside one.
    const repeats = select?.repeats ?? Array.from({ length: s.repeats }, (_, r) => r);
    for (const repeat of repeats) {
      for (const temperature of s.temperature) {
        m.prompts.forEach((prompt, promptIndex) => {
          // Object literals rather than spreads: a large plan builds a hundred thousand of these.
          const promptHash = promptHashes[promptIndex] ?? "";
          const seed = s.seed + repeat;
          // one (baseline, speculative) unit per configuration (method, K, p_min, tree): ABAB
          const units: Cell[][] = [];
          /** The configuration block of each unit (units of unselected configurations are skipped). */
          const blockOf: number[] = [];
          for (const [ci, config] of lane.configs.entries()) {
            const { k, pMin, specType, specSettings, nParallel, pSplit } = config;
            if (select !== undefined) {
              const group = precisionGroupKey({
                target,
                draft,
                k,
                pMin,
                temperature,
                nParallel,
                pSplit,
                specType,
                specSettings,
              });
              if (!select.groups.has(group)) continue;
            }
            const memo = config.kIndex === undefined ? baseMemo : policyMemos[config.kIndex];
            const cell: Cell = {
              cellId: "",
              kind: "speculative",
              engine: m.engine,
              target,
              temperature,
              prompt: prompt.text,
              promptHash,
              promptIndex,
              nPredict: s.nPredict,
              seed,
              repeat,
              llama: m.llama,
              specType,
            };
            if (draft !== undefined) cell.draft = draft;
            if (k !== undefined) cell.k = k;
            if (pMin !== undefined) cell.pMin = pMin;
            if (nParallel !== undefined) cell.nParallel = nParallel;
            if (pSplit !== undefined) cell.pSplit = pSplit;
            if (specSettings !== undefined) cell.specSettings = specSettings;
            const spec = withId(cell, memo);
            if (prompt.category !== undefined) spec.category = prompt.category;
            blockOf.push(ci);
            if (!withBaseline) {
              units.push([spec]);
              continue;
            }
            const base: Cell = {
              cellId: "",
              kind: "baseline",
              engine: m.engine,
              target,
              temperature,
              prompt: prompt.text,
              promptHash,
              promptIndex,
              nPredict: s.nPredict,
              seed,
              repeat,
              pairedWith: spec.cellId,
              llama: m.llama,
            };
            withId(base, baseMemo);
            if (prompt.category !== undefined) base.category = prompt.category;
            units.push([base, spec]);
          }
          speculative += units.length;
          baseline += withBaseline ? units.length : 0;
          if (units.length === 0) return;
          if (blocks === undefined) cutter.add(units.flat());
          else addToBlocks(blocks, units, blockOf);
        });
      }
    }
    if (blocks !== undefined) for (const block of blocks) cutter.addBlock(block);
    cutter.flush();
  }
  return { baseline, speculative };
}

/**
 * llama-bench baselines (manifest `llama_bench:`): one cell per target and repeat, on shards of their own
 * (engine llama-bench, which every agent of a llama.cpp engine runs beside it). llama-bench generates from
 * synthetic tokens and repeats the test itself, so the cells carry no prompt and no temperature of their own.
 */
function planBench(m: Manifest, targetMs: number, shards: Shard[]): number {
  const bench = m.llamaBench;
  if (bench === undefined) return 0;
  const promptHash = sha256Hex("");
  let count = 0;
  for (const name of new Set(m.pairs.map((p) => p.target))) {
    const target = modelRef(m, name);
    const cutter = new ShardCutter({ engine: "llama-bench", target, llama: m.llama }, m, targetMs, shards);
    for (let repeat = 0; repeat < m.sweep.repeats; repeat++) {
      const cell = withId({
        cellId: "",
        kind: "bench",
        engine: "llama-bench",
        target,
        temperature: 0,
        prompt: "",
        promptHash,
        promptIndex: 0,
        nPredict: m.sweep.nPredict,
        seed: m.sweep.seed + repeat,
        repeat,
        bench: { ...bench },
        llama: m.llama,
      });
      cutter.add([cell]);
      count++;
    }
    cutter.flush();
  }
  return count;
}

function planParallel(m: Manifest, targetMs: number, shards: Shard[]): { parallel: number; shared: number } {
  const p = m.parallel;
  if (p === undefined) return { parallel: 0, shared: 0 };
  const prompt = m.prompts[0];
  if (prompt === undefined) return { parallel: 0, shared: 0 };
  const promptHash = sha256Hex(prompt.text);
  const cutters = new Map<string, ShardCutter>();
  const seen = new Set<string>();
  let parallel = 0;
  let shared = 0;
  for (const pair of m.pairs) {
    for (const withDraft of p.draft) {
      // refused by the manifest check: parallel cells with the draft of a pair that has none
      if (withDraft && pair.draft === undefined) continue;
      const target = modelRef(m, pair.target);
      const draft = withDraft && pair.draft !== undefined ? modelRef(m, pair.draft) : undefined;
      const keyName = `${pair.target}\u0000${withDraft ? (pair.draft ?? "") : ""}`;
      let cutter = cutters.get(keyName);
      if (cutter === undefined) {
        const key: ShardKey = {
          engine: m.engine,
          target,
          ...(draft === undefined ? {} : { draft }),
          llama: m.llama,
        };
        cutter = new ShardCutter(key, m, targetMs, shards);
        cutters.set(keyName, cutter);
      }
      for (const concurrency of p.concurrency) {
        const cell = withId({
          cellId: "",
          kind: "parallel",
          engine: m.engine,
          target,
          ...(draft === undefined
            ? {}
            : { draft, k: { kind: "fixed" as const, k: p.k }, pMin: m.sweep.pMin[0] ?? 0 }),
          temperature: p.temperature,
          prompt: prompt.text,
          promptHash,
          promptIndex: 0,
          nPredict: m.sweep.nPredict,
          seed: m.sweep.seed,
          repeat: 0,
          concurrency,
          requests: p.requests,
          llama: m.llama,
        });
        if (prompt.category !== undefined) cell.category = prompt.category;
        if (seen.has(cell.cellId)) {
          shared++;
          continue;
        }
        seen.add(cell.cellId);
        parallel++;
        cutter.add([cell]);
      }
    }
  }
  for (const cutter of cutters.values()) cutter.flush();
  return { parallel, shared };
}

/**
 * Shards for extra repeats of some speculative groups (adaptive precision, core/plan/precision-round): the
 * same cells, order and pairing as planSweep would give those repeats.
 */
export function planRepeats(manifest: Manifest, select: RepeatSelection, opts: PlanOptions = {}): Shard[] {
  const shards: Shard[] = [];
  planSpeculative(manifest, opts.targetShardMs ?? DEFAULT_TARGET_SHARD_MS, shards, select);
  return shards;
}

export function planSweep(manifest: Manifest, opts: PlanOptions = {}): Plan {
  const targetMs = opts.targetShardMs ?? DEFAULT_TARGET_SHARD_MS;
  const shards: Shard[] = [];
  const { baseline, speculative } = planSpeculative(manifest, targetMs, shards);
  const { parallel, shared } = planParallel(manifest, targetMs, shards);
  const bench = planBench(manifest, targetMs, shards);
  const cells = shards.flatMap((s) => s.cells);
  let estimatedMs = 0;
  for (const s of shards) estimatedMs += s.estimatedMs;
  return {
    counts: { baseline, speculative, parallel, bench, total: baseline + speculative + parallel + bench },
    cells,
    shards,
    warnings: planWarnings(manifest, {
      speculativeCells: speculative,
      baselineCells: baseline,
      sharedParallelCells: shared,
    }),
    estimatedMs,
  };
}
