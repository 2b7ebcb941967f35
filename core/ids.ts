// Content-addressed identity for cells and shards. The same run planned anywhere, at any time, gets the same
// id, so results upsert instead of duplicating. Only what defines the run goes into the hash: models by
// sha256 (or by file name before they are pinned), the prompt by its hash, never the manifest's alias for a
// model nor the prompt's position in the list, so renaming an alias or reordering prompts keeps every id.
import { createHash } from "node:crypto";
import type { CellParams, ModelRef, ShardKey } from "./cell.js";

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
      return JSON.stringify(Object.is(value, -0) ? 0 : value);
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "bigint":
      return value.toString();
    case "object": {
      if (Array.isArray(value)) {
        return `[${value.map((v: unknown) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot serialise a ${typeof value}`);
  }
}

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** How a model takes part in an id: its sha256 when known, else its file name; never the manifest alias. */
export function modelIdentity(model: ModelRef): string {
  if (model.sha256 !== undefined) return `sha256:${model.sha256.toLowerCase()}`;
  if (model.file !== undefined) return `file:${model.file}`;
  throw new TypeError(`model "${model.name}" has neither a file nor a sha256`);
}

/** Everything that defines one run, and nothing else (no alias, no prompt text, no prompt index). */
function cellIdentity(params: CellParams): Record<string, unknown> {
  return {
    v: 1,
    kind: params.kind,
    engine: params.engine,
    target: modelIdentity(params.target),
    draft: params.draft === undefined ? undefined : modelIdentity(params.draft),
    k: params.k,
    pMin: params.pMin,
    temperature: params.temperature,
    promptHash: params.promptHash,
    nPredict: params.nPredict,
    seed: params.seed,
    repeat: params.repeat,
    concurrency: params.concurrency,
    requests: params.requests,
    llama: params.llama,
  };
}

export function cellIdOf(params: CellParams): string {
  return sha256Hex(canonicalJson(cellIdentity(params))).slice(0, ID_HEX_CHARS);
}

/** A shard is its key plus the ordered cells it runs; replanning the same manifest gives the same shard ids. */
export function shardIdOf(key: ShardKey, cellIds: readonly string[]): string {
  const identity = {
    v: 1,
    engine: key.engine,
    target: modelIdentity(key.target),
    draft: key.draft === undefined ? undefined : modelIdentity(key.draft),
    k: key.k,
    pMin: key.pMin,
    concurrency: key.concurrency,
    llama: key.llama,
    cells: cellIds,
  };
  return sha256Hex(canonicalJson(identity)).slice(0, ID_HEX_CHARS);
}
