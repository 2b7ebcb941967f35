// Content-addressed identity for cells and shards. The same run planned anywhere, at any time, gets the same
// id, so results upsert instead of duplicating. Only what defines the run goes into the hash: models by
// sha256 (or by file name before they are pinned), the prompt by its hash, never the manifest's alias for a
// model nor the prompt's position in the list, so renaming an alias or reordering prompts keeps every id.
import { hash } from "node:crypto";
import type { CellParams, ModelRef, ShardKey } from "./cell.js";
import { DEFAULT_SPEC_TYPE } from "./spec-types.js";

/** Hex characters kept from the sha256 of a cell or shard: 128 bits, far from any collision at sweep sizes. */
const ID_HEX_CHARS = 32;

/**
 * JSON with object keys sorted at every depth and `undefined` members dropped, so equal values always
 * serialise to equal text. Numbers use JavaScript's shortest round-trip form (`-0` becomes `0`); NaN and
 * infinities have no canonical form and are refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no canonical form`);
      return value === 0 ? "0" : String(value);
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "bigint":
      return value.toString();
    case "object": {
      // Plain loops and string concatenation: plans call this for every cell.
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          out += (i === 0 ? "" : ",") + (v === undefined ? "null" : canonicalJson(v));
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = "{";
      let first = true;
      for (const k of keys) {
        const v = record[k];
        if (v === undefined) continue;
        out += `${first ? "" : ","}${JSON.stringify(k)}:${canonicalJson(v)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot serialise a ${typeof value}`);
  }
}

export function sha256Hex(data: string | Buffer): string {
  return hash("sha256", data, "hex");
}

/** How a model takes part in an id: its sha256 when known, else its file name; never the manifest alias. */
export function modelIdentity(model: ModelRef): string {
  if (model.sha256 !== undefined) return `sha256:${model.sha256.toLowerCase()}`;
  if (model.file !== undefined) return `file:${model.file}`;
  throw new TypeError(`model "${model.name}" has neither a file nor a sha256`);
}

/**
 * Everything that defines one run, and nothing else (no alias, no prompt text, no prompt index), written
 * as the canonicalJson of `{ v: 1, kind, engine, target, draft, k, pMin, nParallel, pSplit, bench, pairedWith, temperature,
 * promptHash, nPredict, seed, repeat, concurrency, requests, llama, specType, specSettings }` with models as
 * modelIdentity; specType only when not draft-simple and specSettings only when not empty. Spelled out key by key (in
 * sorted order) because plans of 100,000 cells call this once per cell; test/unit/ids.test.ts checks it
 * against the generic canonicalJson.
 */
export function cellIdentityJson(p: CellParams, memo: CellIdentityMemo = {}): string {
  let out = "{";
  if (p.bench !== undefined) out += `"bench":${canonicalJson(p.bench)},`;
  if (p.concurrency !== undefined) out += `"concurrency":${canonicalJson(p.concurrency)},`;
  if (p.draft !== undefined) out += `"draft":${JSON.stringify(modelIdentity(p.draft))},`;
  out += `"engine":${JSON.stringify(p.engine)},`;
  if (p.k !== undefined) out += `"k":${memo.kJson ?? canonicalJson(p.k)},`;
  out += `"kind":${JSON.stringify(p.kind)},`;
  out += `"llama":${memo.llamaJson ?? canonicalJson(p.llama)},`;
  if (p.nParallel !== undefined) out += `"nParallel":${canonicalJson(p.nParallel)},`;
  out += `"nPredict":${canonicalJson(p.nPredict)},`;
  if (p.pMin !== undefined) out += `"pMin":${canonicalJson(p.pMin)},`;
  if (p.pSplit !== undefined) out += `"pSplit":${canonicalJson(p.pSplit)},`;
  if (p.pairedWith !== undefined) out += `"pairedWith":${JSON.stringify(p.pairedWith)},`;
  out += `"promptHash":${JSON.stringify(p.promptHash)},`;
  out += `"repeat":${canonicalJson(p.repeat)},`;
  if (p.requests !== undefined) out += `"requests":${canonicalJson(p.requests)},`;
  out += `"seed":${canonicalJson(p.seed)},`;
  // draft-simple without settings is what every cell ran before the type was a dimension: left out, so
  // those cells keep their ids
  if (p.specSettings !== undefined && Object.keys(p.specSettings).length > 0)
    out += `"specSettings":${canonicalJson(p.specSettings)},`;
  if (p.specType !== undefined && p.specType !== DEFAULT_SPEC_TYPE)
    out += `"specType":${JSON.stringify(p.specType)},`;
  out += `"target":${JSON.stringify(modelIdentity(p.target))},`;
  out += `"temperature":${canonicalJson(p.temperature)},`;
  out += `"v":1}`;
  return out;
}

/**
 * canonicalJson of the cell's `k` and `llama`, computed once by a planner that puts the very same objects
 * into many cells. Passing anything else gives wrong ids.
 */
export interface CellIdentityMemo {
  kJson?: string;
  llamaJson?: string;
}

export function cellIdOf(params: CellParams, memo?: CellIdentityMemo): string {
  return sha256Hex(cellIdentityJson(params, memo)).slice(0, ID_HEX_CHARS);
}

/** A shard is its key plus the ordered cells it runs; replanning the same manifest gives the same shard ids. */
export function shardIdOf(key: ShardKey, cellIds: readonly string[]): string {
  const identity = {
    v: 1,
    engine: key.engine,
    target: modelIdentity(key.target),
    draft: key.draft === undefined ? undefined : modelIdentity(key.draft),
    llama: key.llama,
    cells: cellIds,
  };
  return sha256Hex(canonicalJson(identity)).slice(0, ID_HEX_CHARS);
}
