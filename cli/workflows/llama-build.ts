// Builds llama.cpp from the source node-llama-cpp already ships (its git bundle) into a cache keyed by the
// bundle's commit and the variant (cpu, cuda), and finds that build again for the commands that drive
// llama.cpp when no --llama-bin is given. The build happens in place (no rename afterwards: the binaries'
// RUNPATH is $ORIGIN, but an in-place build also lets an interrupted one resume); a stamp file written last
// marks it finished, so a build that stopped half-way is continued, never reused.
import { spawn } from "node:child_process";
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { constants } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { LLAMA_BUILD_TARGETS } from "../../core/llama-tools.js";

export type LlamaVariant = "cpu" | "cuda";

const STAMP = "specgrid-build.json";

const stampSchema = z.object({
  commit: z.string(),
  variant: z.enum(["cpu", "cuda"]),
  tools: z.array(z.string()),
  cmakeFlags: z.array(z.string()),
  builtAt: z.string(),
  buildMs: z.number(),
});
export type LlamaBuildStamp = z.infer<typeof stampSchema>;

export class LlamaBuildError extends Error {
  override name = "LlamaBuildError";
}

/** Where specgrid caches llama.cpp builds: $XDG_CACHE_HOME/specgrid/llama.cpp, else ~/.cache/…. */
export function llamaCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  return path.join(base, "specgrid", "llama.cpp");
}

/** The llama.cpp source bundle inside node-llama-cpp's package. */
export function llamaBundlePath(): string {
  // The package exports no ./package.json: resolve its entry and walk up to the package root.
  let dir = path.dirname(createRequire(import.meta.url).resolve("node-llama-cpp"));
  while (path.basename(dir) !== "node-llama-cpp" && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, "llama", "gitRelease.bundle");
}

/** The commit the bundle's single head points at (the build's cache key). */
export async function bundleCommit(bundle = llamaBundlePath()): Promise<string> {
  await access(bundle, constants.R_OK).catch(() => {
    throw new LlamaBuildError(
      `llama.cpp source bundle not found at ${bundle}: run 'npm ci' (node-llama-cpp ships it)`,
    );
  });
  const { stdout } = await runTool("git", ["bundle", "list-heads", bundle]);
  const commit = stdout.split(/\s+/)[0] ?? "";
  if (!/^[0-9a-f]{40}$/.test(commit))
    throw new LlamaBuildError(`${bundle}: no commit in 'git bundle list-heads'`);
  return commit;
}

export function buildDirFor(commit: string, variant: LlamaVariant, root = llamaCacheRoot()): string {
  return path.join(root, `${commit.slice(0, 12)}-${variant}`);
}

export function binDirOf(buildDir: string): string {
  return path.join(buildDir, "build", "bin");
}

/** The finished build in buildDir, or undefined when it is missing, unfinished or lacks a tool. */
export async function finishedBuild(buildDir: string): Promise<LlamaBuildStamp | undefined> {
  const raw = await readFile(path.join(buildDir, STAMP), "utf8").catch(() => undefined);
  if (raw === undefined) return undefined;
  const parsed = stampSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) return undefined;
  return (await toolsPresent(binDirOf(buildDir))) ? parsed.data : undefined;
}

export type LlamaBinSource = "flag" | "env" | "cache";

export interface LlamaBinChoice {
  binDir: string;
  source: LlamaBinSource;
  /** Set for a cached build. */
  stamp?: LlamaBuildStamp;
}

/**
 * The llama.cpp build a command uses: --llama-bin, else SPECGRID_LLAMA_BIN, else the finished cached build of
 * the shipped bundle (CUDA preferred over CPU), else undefined. oclif folds the variable into the flag, so
 * callers pass both and the variable only tells the two apart in what is reported.
 */
export async function chooseLlamaBin(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LlamaBinChoice | undefined> {
  if (flag !== undefined && flag !== "") {
    return { binDir: path.resolve(flag), source: env.SPECGRID_LLAMA_BIN === flag ? "env" : "flag" };
  }
  const commit = await bundleCommit().catch(() => undefined);
  if (commit === undefined) return undefined;
  for (const variant of ["cuda", "cpu"] as const) {
    const dir = buildDirFor(commit, variant, llamaCacheRoot(env));
    const stamp = await finishedBuild(dir);
    if (stamp) return { binDir: binDirOf(dir), source: "cache", stamp };
  }
  return undefined;
}

/** One line saying which build a command uses, for its log or stderr. */
export function describeLlamaBin(choice: LlamaBinChoice | undefined): string {
  if (choice === undefined)
    return "no llama.cpp build: pass --llama-bin DIR, set SPECGRID_LLAMA_BIN, or run 'specgrid llama build'";
  const from =
    choice.source === "cache"
      ? `cached build of bundle commit ${choice.stamp!.commit.slice(0, 12)} (${choice.stamp!.variant})`
      : choice.source === "env"
        ? "SPECGRID_LLAMA_BIN"
        : "--llama-bin";
  return `llama.cpp: ${choice.binDir} (${from})`;
}

export interface LlamaBuildOptions {
  /** The build directory (src/ and build/ go inside); default: the cache entry for the bundle's commit. */
  out?: string;
  cuda?: boolean;
  jobs?: number;
  /** Called with build progress (0..100) and a short phase label. */
  onProgress?: (phase: string, percent?: number) => void;
  env?: NodeJS.ProcessEnv;
}

export interface LlamaBuildResult {
  commit: string;
  variant: LlamaVariant;
  buildDir: string;
  binDir: string;
  reused: boolean;
  buildMs: number;
  tools: string[];
  cmakeFlags: string[];
}

const BASE_FLAGS = [
  "-DCMAKE_BUILD_TYPE=Release",
  "-DLLAMA_BUILD_UI=OFF",
  "-DLLAMA_OPENSSL=OFF",
  "-DLLAMA_CURL=OFF",
  "-DLLAMA_BUILD_TESTS=OFF",
  // $ORIGIN RUNPATH: the bin directory stays usable wherever the cache is copied or mounted.
  "-DCMAKE_BUILD_RPATH_USE_ORIGIN=ON",
];

/** Builds (or reuses) llama.cpp's eight tools from the shipped bundle. */
export async function buildLlama(opts: LlamaBuildOptions = {}): Promise<LlamaBuildResult> {
  const env = opts.env ?? process.env;
  const progress = opts.onProgress ?? (() => {});
  const variant: LlamaVariant = opts.cuda === true ? "cuda" : "cpu";
  const bundle = llamaBundlePath();
  const commit = await bundleCommit(bundle);
  const buildDir = path.resolve(opts.out ?? buildDirFor(commit, variant, llamaCacheRoot(env)));
  const binDir = binDirOf(buildDir);
  const done = await finishedBuild(buildDir);
  if (done && done.commit === commit && done.variant === variant) {
    return {
      commit,
      variant,
      buildDir,
      binDir,
      reused: true,
      buildMs: done.buildMs,
      tools: done.tools,
      cmakeFlags: done.cmakeFlags,
    };
  }

  await requireBuildTools(variant, env);
  const started = Date.now();
  const src = path.join(buildDir, "src");
  await mkdir(buildDir, { recursive: true });
  const hasSrc = await access(path.join(src, ".git"), constants.F_OK).then(
    () => true,
    () => false,
  );
  if (!hasSrc) {
    progress("clone");
    await runTool("git", ["clone", "--quiet", "--no-checkout", bundle, src]);
  }
  await runTool("git", [
    "-C",
    src,
    "-c",
    "advice.detachedHead=false",
    "checkout",
    "--quiet",
    "--force",
    commit,
  ]);

  const cmakeFlags = [...BASE_FLAGS, ...(variant === "cuda" ? ["-DGGML_CUDA=ON"] : ["-DGGML_CUDA=OFF"])];
  progress("configure");
  await runTool("cmake", ["-S", src, "-B", path.join(buildDir, "build"), ...cmakeFlags]);

  const jobs = opts.jobs ?? Math.max(1, os.availableParallelism());
  progress("build", 0);
  await runTool(
    "cmake",
    [
      "--build",
      path.join(buildDir, "build"),
      "--config",
      "Release",
      "-j",
      String(jobs),
      "--target",
      ...LLAMA_BUILD_TARGETS,
    ],
    (line) => {
      const m = /^\[\s*(\d+)%\]/.exec(line);
      if (m) progress("build", Number(m[1]));
    },
  );
  const stamp: LlamaBuildStamp = {
    commit,
    variant,
    tools: [...LLAMA_BUILD_TARGETS],
    cmakeFlags,
    builtAt: new Date().toISOString(),
    buildMs: Date.now() - started,
  };
  if (!(await toolsPresent(binDir))) {
    throw new LlamaBuildError(
      `the build finished but ${binDir} lacks some of ${LLAMA_BUILD_TARGETS.join(", ")}`,
    );
  }
  await writeFile(path.join(buildDir, STAMP), JSON.stringify(stamp, null, 2) + "\n");
  return {
    commit,
    variant,
    buildDir,
    binDir,
    reused: false,
    buildMs: stamp.buildMs,
    tools: stamp.tools,
    cmakeFlags,
  };
}

async function toolsPresent(binDir: string): Promise<boolean> {
  for (const tool of LLAMA_BUILD_TARGETS) {
    const ok = await access(path.join(binDir, tool), constants.X_OK).then(
      () => true,
      () => false,
    );
    if (!ok) return false;
  }
  return true;
}

async function onPath(cmd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, cmd);
    if (
      await access(file, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  return undefined;
}

/** Fails with the Debian packages to install when cmake, git, make or a C++ compiler is missing. */
export async function requireBuildTools(
  variant: LlamaVariant,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const missing: string[] = [];
  if (!(await onPath("cmake", env))) missing.push("cmake (Debian package: cmake)");
  if (!(await onPath("git", env))) missing.push("git (Debian package: git)");
  if (!(await onPath("make", env))) missing.push("make (Debian package: build-essential)");
  if (!(await onPath("c++", env)) && !(await onPath("g++", env)))
    missing.push("a C++ compiler (Debian package: build-essential)");
  if (missing.length > 0) {
    throw new LlamaBuildError(
      `building llama.cpp needs ${missing.join(", ")}: install them with 'apt-get install cmake build-essential git' and rerun`,
    );
  }
  if (variant === "cuda") {
    const nvcc = (await onPath("nvcc", env)) ?? "/usr/local/cuda/bin/nvcc";
    const works = await runTool(nvcc, ["--version"]).then(
      () => true,
      () => false,
    );
    if (!works) {
      throw new LlamaBuildError(
        "--cuda needs the CUDA toolkit, but no working nvcc was found on PATH or at /usr/local/cuda/bin/nvcc: " +
          "install it (Debian: nvidia-cuda-toolkit) or build without --cuda",
      );
    }
  }
}

/** Runs a tool (no shell), keeping the last lines of its output for the error when it fails. */
function runTool(cmd: string, args: string[], onLine?: (line: string) => void): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const tail: string[] = [];
    const keep = (chunk: Buffer, out: boolean): void => {
      const text = chunk.toString("utf8");
      if (out) stdout += text.length + stdout.length < 1 << 20 ? text : "";
      for (const line of text.split("\n")) {
        if (line === "") continue;
        onLine?.(line);
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
    };
    child.stdout.on("data", (c: Buffer) => keep(c, true));
    child.stderr.on("data", (c: Buffer) => keep(c, false));
    child.on("error", (err) => reject(new LlamaBuildError(`${cmd}: ${err.message}`)));
    child.on("close", (code, signal) => {
      if (code === 0) resolve({ stdout });
      else
        reject(
          new LlamaBuildError(
            `${cmd} ${args.slice(0, 3).join(" ")} … failed (${signal ?? `exit ${code}`}):\n${tail.join("\n")}`,
          ),
        );
    });
  });
}
