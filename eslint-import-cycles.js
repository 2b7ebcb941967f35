// Lint rule `local/no-import-cycle`: a relative runtime import that leads back to the importing file
// through other relative imports. Type-only imports (`import type`, `export type`) are erased at run time
// and do not count. No dependency: imports are read from the files' text, resolved `.js` -> `.ts`.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const IMPORT = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?["'](\.{1,2}\/[^"']+)["']/gm;

/** Runtime imports of each file, by absolute path; filled once per lint process. */
const graph = new Map();

function resolve(from, spec) {
  const target = path.resolve(path.dirname(from), spec);
  const ts = target.replace(/\.js$/, ".ts");
  if (existsSync(ts)) return ts;
  return existsSync(target) ? target : undefined;
}

function runtimeImports(file) {
  let deps = graph.get(file);
  if (deps !== undefined) return deps;
  deps = [];
  graph.set(file, deps);
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return deps;
  }
  for (const m of text.matchAll(IMPORT)) {
    if (m[1]) continue;
    const dep = resolve(file, m[2]);
    if (dep !== undefined && dep.endsWith(".ts")) deps.push(dep);
  }
  return deps;
}

/** A path of runtime imports from `start` back to `file`, or undefined. */
function pathBack(start, file) {
  const seen = new Set();
  const stack = [[start, [start]]];
  while (stack.length > 0) {
    const [at, trail] = stack.pop();
    if (at === file) return trail;
    if (seen.has(at)) continue;
    seen.add(at);
    for (const dep of runtimeImports(at)) stack.push([dep, [...trail, dep]]);
  }
  return undefined;
}

export const noImportCycle = {
  meta: {
    type: "problem",
    docs: { description: "forbid runtime import cycles between the project's files" },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const check = (node) => {
      if (node.source === null || node.source === undefined) return;
      if (node.importKind === "type" || node.exportKind === "type") return;
      const spec = node.source.value;
      if (typeof spec !== "string" || !spec.startsWith(".")) return;
      const dep = resolve(file, spec);
      if (dep === undefined) return;
      const trail = pathBack(dep, file);
      if (trail === undefined) return;
      const rel = (p) => path.relative(context.cwd, p);
      context.report({
        node,
        message: `import cycle: ${[file, ...trail].map(rel).join(" -> ")}. Move what both files need into a third file both import.`,
      });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};
