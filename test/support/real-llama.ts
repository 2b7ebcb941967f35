// The real-binary suite's gate and its window onto what llama.cpp printed. SPECGRID_LLAMA_BIN names a
// llama.cpp build's bin directory; without it the suite is skipped on a developer's machine but fails under
// CI (CI=true), where .ci/run builds llama.cpp and exports it: a CI run that silently skipped the real
// binaries would prove nothing about them.
//
// wrapLlamaBin writes a bin directory of wrappers around a real build: each tool runs the real binary
// (exec: same pid, signals, exit status) with its argv written to <logDir>/<tool>-<pid>.argv and its stderr
// copied to <logDir>/<tool>-<pid>.stderr as it reaches the engine. A whole `specgrid run` can then be
// checked against llama.cpp's own printed figures from the same run, process by process.
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/** The llama.cpp bin directory the real suite runs against, if any. */
export const realLlamaBin: string | undefined = process.env.SPECGRID_LLAMA_BIN || undefined;

/**
 * describe() for a real-binary suite: runs when SPECGRID_LLAMA_BIN is set, fails under CI=true when it is
 * not (or names no llama-server), and is skipped otherwise.
 */
export function describeRealLlama(name: string, body: () => void): void {
  const problem =
    realLlamaBin === undefined
      ? "SPECGRID_LLAMA_BIN is not set"
      : !existsSync(path.join(realLlamaBin, "llama-server"))
        ? `SPECGRID_LLAMA_BIN=${realLlamaBin} has no llama-server`
        : undefined;
  if (problem === undefined) {
    describe(name, body);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it("has a llama.cpp build to run against (CI never skips the real binaries)", () => {
        expect.fail(
          `${problem}, and CI=true: the real-binary tests must run under CI. Build llama.cpp with ` +
            "'./bin/run.js llama build --json' and export SPECGRID_LLAMA_BIN=<its bin_dir> (.ci/run does both)",
        );
      });
    });
  } else {
    describe.skip(`${name} (set SPECGRID_LLAMA_BIN=<llama.cpp build>/bin to run)`, body);
  }
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Writes wrappers for every llama-* tool of binDir into wrapDir (see the file comment). */
export async function wrapLlamaBin(binDir: string, wrapDir: string, logDir: string): Promise<void> {
  await mkdir(wrapDir, { recursive: true });
  await mkdir(logDir, { recursive: true });
  const tools = (await readdir(binDir)).filter((f) => /^llama-[a-z-]+$/.test(f));
  for (const tool of tools) {
    const file = path.join(wrapDir, tool);
    const log = (ext: string): string => `${quote(path.join(logDir, tool))}-$$.${ext}`;
    await writeFile(
      file,
      [
        "#!/bin/bash",
        "# specgrid test wrapper: the real tool, its argv and stderr also kept per process",
        `printf '%s\\0' "$@" > ${log("argv")}`,
        `exec ${quote(path.join(binDir, tool))} "$@" 2> >(exec tee ${log("stderr")} >&2)`,
        "",
      ].join("\n"),
    );
    await chmod(file, 0o755);
  }
}

export interface WrappedRun {
  tool: string;
  pid: number;
  argv: string[];
  stderr: string;
}

/** Every wrapped process of a tool that logDir recorded, --help/--version probes left out. */
export async function wrappedRuns(logDir: string, tool: string): Promise<WrappedRun[]> {
  const runs: WrappedRun[] = [];
  for (const f of await readdir(logDir)) {
    const m = new RegExp(`^${tool}-(\\d+)\\.argv$`).exec(f);
    if (!m) continue;
    const argv = (await readFile(path.join(logDir, f), "utf8")).split("\0").slice(0, -1);
    if (argv.includes("--help") || argv.includes("--version")) continue;
    const stderrFile = path.join(logDir, `${tool}-${m[1]}.stderr`);
    const stderr = existsSync(stderrFile) ? await readFile(stderrFile, "utf8") : "";
    runs.push({ tool, pid: Number(m[1]), argv, stderr });
  }
  return runs;
}

/** The value after a flag in an argv. */
export function flagValue(argv: readonly string[], ...flags: string[]): string | undefined {
  for (const f of flags) {
    const i = argv.indexOf(f);
    if (i >= 0) return argv[i + 1];
  }
  return undefined;
}

/** The last value a regex captures in text, as a number. */
export function lastNumber(text: string, re: RegExp): number | undefined {
  const all = [...text.matchAll(new RegExp(re.source, "gm"))];
  const v = all.at(-1)?.[1];
  return v === undefined ? undefined : Number(v);
}

/** llama-server's per-request line: `draft acceptance = r ( A accepted / D generated)`, in order. */
export function serverAcceptanceLines(stderr: string): { accepted: number; drafted: number }[] {
  return [...stderr.matchAll(/draft acceptance = [\d.]+ \(\s*(\d+) accepted \/\s*(\d+) generated\)/g)].map(
    (m) => ({ accepted: Number(m[1]), drafted: Number(m[2]) }),
  );
}
