// Reads the option table a llama.cpp tool prints for --help. The tools change flag names often (REFERENCE
// §10), and the help text is the only contract a given build offers: removed flags stay listed there with
// "the argument has been removed", so a flag being mentioned is not the same as it being accepted.

export interface ParsedHelp {
  /** Every flag the tool accepts, e.g. `--spec-draft-n-max`, `-md`. */
  accepted: string[];
  /** Flags listed but marked removed (passing them is a hard error). */
  removed: string[];
  /** Accepted flags whose entry names a value (`-fa [on|off|auto]`), as opposed to bare switches. */
  valued: string[];
  /** Values listed after `--spec-type` (empty when the tool has no such flag). */
  specTypes: string[];
}

const FLAG = /^--?[A-Za-z][\w-]*$/;
const REMOVED = /the argument has been removed/i;

interface Entry {
  spec: string;
  description: string;
}

// An entry starts at column 0 (common tools) or 2 (llama-bench) with a dash; its description follows after a
// gap of two or more spaces, or on indented continuation lines when the flag list fills the line.
function entries(text: string): Entry[] {
  const out: Entry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, "");
    const start = /^( {0,2})-/.exec(line);
    if (start) {
      const body = line.slice(start[1]!.length);
      const gap = /\s{2,}(?=[^\s-])/.exec(body);
      const spec = gap ? body.slice(0, gap.index) : body;
      const description = gap ? body.slice(gap.index).trim() : "";
      out.push({ spec, description });
    } else if (/^\s{3,}\S/.test(line) && out.length > 0) {
      const last = out[out.length - 1]!;
      last.description += ` ${line.trim()}`;
    }
  }
  return out;
}

export function parseLlamaHelp(text: string): ParsedHelp {
  const accepted = new Set<string>();
  const removed = new Set<string>();
  const valued = new Set<string>();
  let specTypes: string[] = [];
  for (const { spec, description } of entries(text)) {
    const tokens = spec.split(/[\s,]+/).filter((t) => t.length > 0);
    const flags = tokens.filter((t) => FLAG.test(t));
    const target = REMOVED.test(description) ? removed : accepted;
    for (const f of flags) target.add(f);
    if (tokens.some((t) => !FLAG.test(t))) for (const f of flags) valued.add(f);
    if (flags.includes("--spec-type")) {
      const at = spec.indexOf("--spec-type") + "--spec-type".length;
      const values = spec.slice(at).trim().split(/\s+/)[0] ?? "";
      specTypes = values.split(",").filter((v) => /^[a-z][\w-]*$/.test(v));
    }
  }
  // A flag both listed as removed and accepted elsewhere (an alias kept by a newer entry) is accepted.
  for (const f of accepted) removed.delete(f);
  return {
    accepted: [...accepted].sort(),
    removed: [...removed].sort(),
    valued: [...valued].filter((f) => accepted.has(f)).sort(),
    specTypes,
  };
}
