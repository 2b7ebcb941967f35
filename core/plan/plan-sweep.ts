// Expands a manifest's grid into cells and groups them into shards.
//
// Shard design: one shard key per (engine, target, draft, llama settings), so an agent loads a pair once per
// shard. The baseline cells of a target ride in the shards of the first pair with that target, interleaved
// with that pair's speculative cells of the same (temperature, prompt, repeat): each such group runs back to
// back on one host, which is what a paired speedup needs. Groups are never split; a pair's groups are cut
// into several shards near targetShardMs. Parallel cells get their own shards per (engine, target, draft or
// none). K and p_min stay out of shard keys: the server engine starts one server per K inside its session.
//
// Linear in the number of cells: 100,000 cells plan in well under a second.
import type { Cell, KPolicy, ModelRef, Shard, ShardKey } from "../cell.js";
import { canonicalJson, cellIdOf, shardIdOf, sha256Hex, type CellIdentityMemo } from "../ids.js";
import type { Manifest, ManifestK } from "../manifest/manifest.js";
import { estimateCellMs, estimateLoads, loadsPerCell } from "./estimate-run-ms.js";
import { planWarnings } from "./plan-warnings.js";

export interface PlanCounts {
  baseline: number;
  speculative: number;
  parallel: number;
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

function kPolicy(m: Manifest, k: ManifestK): KPolicy {
  if (k !== "adaptive") return { kind: "fixed", k };
  const a = m.adaptive ?? { kMin: 1, kMax: 16, kStart: 4, raiseAbove: 0.8, lowerBelow: 0.4 };
  return { kind: "adaptive", ...a };
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

/** Cuts a key's cell groups into shards near the target duration and under the payload limit; groups stay whole. */
class ShardCutter {
  private current: Cell[] = [];
  private currentMs = 0;
  private currentBytes = 0;

  constructor(
    private readonly key: ShardKey,
    private readonly m: Manifest,
    private readonly targetMs: number,
    private readonly out: Shard[],
  ) {}

  add(group: readonly Cell[]): void {
    let groupMs = 0;
    const perCellLoadMs = loadsPerCell(this.key.engine) ? this.m.estimate.loadMs : 0;
    let groupBytes = 0;
    for (const c of group) {
      groupMs += estimateCellMs(c, this.m.estimate) + perCellLoadMs;
      groupBytes += Buffer.byteLength(c.prompt) + CELL_OVERHEAD_BYTES;
    }
    const overTime = this.currentMs + groupMs > this.targetMs;
    const overSize = this.currentBytes + groupBytes > MAX_SHARD_PAYLOAD_BYTES;
    if (this.current.length > 0 && (overTime || overSize)) this.flush();
    this.current.push(...group);
    this.currentMs += groupMs;
    this.currentBytes += groupBytes;
  }

  flush(): void {
    if (this.current.length === 0) return;
    const cells = this.current;
    const loadMs = loadsPerCell(this.key.engine)
      ? 0
      : estimateLoads(this.key.engine, cells) * this.m.estimate.loadMs;
    this.out.push({
      shardId: shardIdOf(
        this.key,
        cells.map((c) => c.cellId),
      ),
      key: this.key,
      cells,
      estimatedMs: Math.round(this.currentMs + loadMs),
    });
    this.current = [];
    this.currentMs = 0;
    this.currentBytes = 0;
  }
}

function planSpeculative(
  m: Manifest,
  targetMs: number,
  shards: Shard[],
): { baseline: number; speculative: number } {
  const s = m.sweep;
  const promptHashes = m.prompts.map((p) => sha256Hex(p.text));
  const policies = s.k.map((k) => kPolicy(m, k));
  const llamaJson = canonicalJson(m.llama);
  const policyMemos = policies.map((k) => ({ kJson: canonicalJson(k), llamaJson }));
  const baseMemo = { llamaJson };
  const firstPairOfTarget = new Map<string, number>();
  m.pairs.forEach((p, i) => {
    if (!firstPairOfTarget.has(p.target)) firstPairOfTarget.set(p.target, i);
  });
  let baseline = 0;
  let speculative = 0;
  m.pairs.forEach((pair, pairIndex) => {
    const target = modelRef(m, pair.target);
    const draft = modelRef(m, pair.draft);
    const withBaseline = m.baseline && firstPairOfTarget.get(pair.target) === pairIndex;
    const cutter = new ShardCutter({ engine: m.engine, target, draft, llama: m.llama }, m, targetMs, shards);
    // Repeats outermost: when a pair spans several shards, each repeat lands apart in time (and often on
    // another host), so drift shows up as spread between repeats instead of hiding inside one.
    for (let repeat = 0; repeat < s.repeats; repeat++) {
      for (const temperature of s.temperature) {
        m.prompts.forEach((prompt, promptIndex) => {
          // Object literals rather than spreads: a large plan builds a hundred thousand of these.
          const promptHash = promptHashes[promptIndex] ?? "";
          const seed = s.seed + repeat;
          const group: Cell[] = [];
          if (withBaseline) {
            group.push(
              withId(
                {
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
                  llama: m.llama,
                },
                baseMemo,
              ),
            );
          }
          for (const [ki, k] of policies.entries()) {
            const memo = policyMemos[ki];
            for (const pMin of s.pMin) {
              group.push(
                withId(
                  {
                    cellId: "",
                    kind: "speculative",
                    engine: m.engine,
                    target,
                    draft,
                    k,
                    pMin,
                    temperature,
                    prompt: prompt.text,
                    promptHash,
                    promptIndex,
                    nPredict: s.nPredict,
                    seed,
                    repeat,
                    llama: m.llama,
                  },
                  memo,
                ),
              );
            }
          }
          baseline += withBaseline ? 1 : 0;
          speculative += group.length - (withBaseline ? 1 : 0);
          cutter.add(group);
        });
      }
    }
    cutter.flush();
  });
  return { baseline, speculative };
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
      const target = modelRef(m, pair.target);
      const draft = withDraft ? modelRef(m, pair.draft) : undefined;
      const keyName = `${pair.target}\u0000${withDraft ? pair.draft : ""}`;
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

export function planSweep(manifest: Manifest, opts: PlanOptions = {}): Plan {
  const targetMs = opts.targetShardMs ?? DEFAULT_TARGET_SHARD_MS;
  const shards: Shard[] = [];
  const { baseline, speculative } = planSpeculative(manifest, targetMs, shards);
  const { parallel, shared } = planParallel(manifest, targetMs, shards);
  const cells = shards.flatMap((s) => s.cells);
  let estimatedMs = 0;
  for (const s of shards) estimatedMs += s.estimatedMs;
  return {
    counts: { baseline, speculative, parallel, total: baseline + speculative + parallel },
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
