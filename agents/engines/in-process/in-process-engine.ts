// The in-process engine: real llama.cpp through node-llama-cpp, one Llama per engine, one session per
// shard. Speculative cells run the project's own exact sampler (generate-speculative.ts).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Engine, EngineSessionOptions } from "../engine.js";
import { InProcessSession } from "./in-process-session.js";
import { loadLlama, type InProcessGpu, type LoadedLlama } from "./load-llama.js";

export interface InProcessEngineOptions {
  /** Backend: `auto` probes CUDA then falls back to CPU. @default "auto" */
  gpu?: InProcessGpu;
  /** Threads per context when a shard does not set llama.threads. @default 1 on machines with <= 4 cores, else node-llama-cpp's choice */
  threads?: number;
  /** Top-k truncation both models' distributions get before sampling (temperature > 0). @default 64 */
  topK?: number;
}

export const DEFAULT_TOP_K = 64;

export class InProcessEngine implements Engine {
  readonly name = "in-process";
  private loaded?: Promise<LoadedLlama>;

  constructor(private readonly opts: InProcessEngineOptions = {}) {}

  async describe(): Promise<string> {
    const { llama, backend } = await this.llama();
    return `node-llama-cpp ${nodeLlamaCppVersion()} ${backend} (llama.cpp ${llama.llamaCppRelease.release})`;
  }

  async openSession(opts: EngineSessionOptions): Promise<InProcessSession> {
    const { llama, backend } = await this.llama();
    const session = await InProcessSession.open({
      llama,
      backend,
      key: opts.key,
      models: opts.models,
      order: opts.cells ?? [],
      topK: this.opts.topK ?? DEFAULT_TOP_K,
      ...(this.opts.threads === undefined ? {} : { threads: this.opts.threads }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    opts.logger?.info(
      {
        target: path.basename(opts.models.targetPath),
        draft: opts.models.draftPath === undefined ? undefined : path.basename(opts.models.draftPath),
        loadId: session.loadId,
        loadMs: Math.round(session.loadMs),
        plannedCells: opts.cells?.length,
      },
      "models loaded",
    );
    if (session.warmup !== undefined)
      opts.logger?.info(
        { loadId: session.loadId, ...session.warmup },
        "warm-up generation run and discarded",
      );
    else
      opts.logger?.warn(
        { loadId: session.loadId, problem: session.warmupProblem },
        "no warm-up generation: the first cell runs cold",
      );
    return session;
  }

  async dispose(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    if (loaded) await (await loaded).llama.dispose();
  }

  private llama(): Promise<LoadedLlama> {
    this.loaded ??= loadLlama({ gpu: this.opts.gpu ?? (nvidiaDriverPresent() ? "auto" : "cpu") });
    return this.loaded;
  }
}

/** Probing CUDA costs seconds; skip it where no NVIDIA driver is loaded at all. */
function nvidiaDriverPresent(): boolean {
  return existsSync("/proc/driver/nvidia") || existsSync("/dev/nvidiactl");
}

function nodeLlamaCppVersion(): string {
  // The package exports no ./package.json; its entry point sits in dist/, one level below it.
  const entry = fileURLToPath(import.meta.resolve("node-llama-cpp"));
  const pkgPath = path.join(path.dirname(entry), "..", "package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}
