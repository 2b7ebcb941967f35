// Maps a path into the parsed data (e.g. ["sweep", "k", 0]) back to where it is written in the YAML text,
// so every manifest problem can be reported as file:line:column.
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";

export type DataPath = readonly (string | number)[];

export interface YamlPosition {
  line: number;
  column: number;
}

/** `sweep.k[0]`, `models.llama2-7b.file`; the empty path is the document root. */
export function formatDataPath(path: DataPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === "string" ? key : undefined;
}

/** The deepest node on the path that exists, and the key node for `path`'s last map segment when asked. */
function walk(doc: Document, path: DataPath, wantKey: boolean): Node | undefined {
  let node: unknown = doc.contents;
  let found: Node | undefined = isMap(node) || isSeq(node) || isScalar(node) ? node : undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (pair === undefined) return found;
      if (last && wantKey && isScalar(pair.key)) return pair.key;
      // A key with no value (`prompts:`) has a null value node or none: point at the key.
      const value: unknown = pair.value;
      if (
        !(isMap(value) || isSeq(value) || isScalar(value)) ||
        (isScalar(value) && value.range === undefined)
      ) {
        return isScalar(pair.key) ? pair.key : found;
      }
      if (isScalar(value) && value.value === null && isScalar(pair.key)) return pair.key;
      node = value;
      found = value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item: unknown = node.items[seg];
      if (!(isMap(item) || isSeq(item) || isScalar(item))) return found;
      node = item;
      found = item;
    } else {
      return found;
    }
  }
  return found;
}

function positionOf(node: Node | undefined, lineCounter: LineCounter): YamlPosition {
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** Where the value at `path` is written; for a missing key, where its parent is. */
export function locateYamlPath(doc: Document, lineCounter: LineCounter, path: DataPath): YamlPosition {
  return positionOf(walk(doc, path, false), lineCounter);
}

/** Where the key `key` of the map at `path` is written (for unknown keys). */
export function locateYamlKey(
  doc: Document,
  lineCounter: LineCounter,
  path: DataPath,
  key: string,
): YamlPosition {
  return positionOf(walk(doc, [...path, key], true), lineCounter);
}
