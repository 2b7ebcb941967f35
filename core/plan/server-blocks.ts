// Server configurations of cells, for the engine that starts one process per configuration (llama-server).
// A configuration is what the server is started with besides the shard's models and llama settings:
// speculating or not, the speculation type and its settings, K, p_min and the slot count. The planner keeps a configuration's cells together (one
// block each) and the engine session starts each configuration once, from the same keys.
import type { CellParams, EngineName } from "../cell.js";
import { ENGINE_TRAITS } from "../engines.js";
import { canonicalJson } from "../ids.js";
import { DEFAULT_SPEC_TYPE } from "../spec-types.js";

/** What a llama-server is started with for a cell, besides the shard's models and llama settings. */
export interface ServerSettings {
  /** Started speculating (the cell's spec type) or not (baseline server). */
  speculative: boolean;
  /** `--spec-type` value of a speculative server, and the type's own settings (core/spec-types.ts). */
  specType?: string;
  specSettings?: Record<string, number>;
  /** Draft max; undefined on a baseline server, or where one server drafts every K (per-request K). */
  k?: number;
  pMin?: number;
  slots: number;
}

export interface ServerKeyOptions {
  /** The build honours per-request `speculative.n_max`: one server drafts every K of a (p_min, slots). */
  kPerRequest?: boolean;
}

/** Engines that start one process per server configuration and keep it for every cell it serves. */
export function startsServerPerConfig(engine: EngineName): boolean {
  return ENGINE_TRAITS[engine].loads === "server-config";
}

/**
 * Whether a cell runs on a speculating server: speculative cells (with a draft model or, for n-gram and
 * MTP types, without one) and parallel cells run with the draft.
 */
export function speculates(cell: Pick<CellParams, "kind" | "draft">): boolean {
  return cell.kind === "speculative" || (cell.kind === "parallel" && cell.draft !== undefined);
}

/** The configuration key of a cell: cells with equal keys run on one server. */
export function serverKeyOf(
  cell: Pick<CellParams, "kind" | "draft" | "k" | "pMin" | "concurrency" | "specType" | "specSettings">,
  opts: ServerKeyOptions = {},
): string {
  const slots = cell.kind === "parallel" ? (cell.concurrency ?? 1) : 1;
  if (!speculates(cell)) return `base/np${slots}`;
  const type = cell.specType ?? DEFAULT_SPEC_TYPE;
  const settings = cell.specSettings === undefined ? "" : `/${canonicalJson(cell.specSettings)}`;
  if (cell.k === undefined) return `spec/${type}${settings}/np${slots}`;
  // adaptive policies never run on a server (the engine rejects them); they still get a key of their own
  const k = cell.k.kind === "fixed" ? String(cell.k.k) : canonicalJson(cell.k);
  const kPart = opts.kPerRequest === true && cell.k.kind === "fixed" ? "k*" : `k${k}`;
  // draft-simple keeps the key it had before the type was a dimension
  const prefix = type === DEFAULT_SPEC_TYPE ? "draft" : `spec/${type}`;
  return `${prefix}${settings}/${kPart}/p${cell.pMin ?? 0}/np${slots}`;
}

/**
 * The cells regrouped so each configuration runs as one contiguous block, blocks in the order of their
 * first cell, cells in their planned order inside a block. Used where two servers must not coexist (the
 * memory does not hold both): no configuration is then needed again after another one started.
 */
export function groupByServer<T extends Parameters<typeof serverKeyOf>[0]>(
  cells: readonly T[],
  opts: ServerKeyOptions = {},
): T[] {
  const blocks = new Map<string, T[]>();
  for (const c of cells) {
    const key = serverKeyOf(c, opts);
    let block = blocks.get(key);
    if (block === undefined) {
      block = [];
      blocks.set(key, block);
    }
    block.push(c);
  }
  return [...blocks.values()].flat();
}

/** Distinct configurations among the cells (the servers a session over them starts at least). */
export function countServerConfigs(
  cells: readonly Parameters<typeof serverKeyOf>[0][],
  opts: ServerKeyOptions = {},
): number {
  return new Set(cells.map((c) => serverKeyOf(c, opts))).size;
}
