// One Llama instance per engine, backend chosen by probing the prebuilt binaries that ship with
// node-llama-cpp: CUDA when its binary loads on this host, else CPU. Never builds or downloads at run
// time: `build: "never"` throws NoBinaryFoundError instead of compiling.
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

/** Which backend to use; `auto` tries CUDA and falls back to CPU. */
export type InProcessGpu = "auto" | "cuda" | "cpu";

export interface LoadedLlama {
  llama: Llama;
  /** The backend that actually loaded: `cpu` or `cuda`. */
  backend: "cpu" | "cuda";
}

export interface LoadLlamaOptions {
  /** @default "auto" */
  gpu?: InProcessGpu;
  /** Thread budget shared by every context of this Llama. @default 1 on machines with <= 2 cores */
  maxThreads?: number;
}

export async function loadLlama(opts: LoadLlamaOptions): Promise<LoadedLlama> {
  const gpu = opts.gpu ?? "auto";
  const common = {
    build: "never",
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    ...(opts.maxThreads === undefined ? {} : { maxThreads: opts.maxThreads }),
  } as const;
  if (gpu !== "cpu") {
    try {
      const llama = await getLlama({ ...common, gpu: "cuda" });
      if (llama.gpu === "cuda") return { llama, backend: "cuda" };
      await llama.dispose();
    } catch (err) {
      if (gpu === "cuda") {
        throw new Error(
          `the CUDA build of node-llama-cpp does not load on this host (${String(err)}); ` +
            `use --gpu auto or --gpu cpu, or install the CUDA runtime libraries it needs`,
          { cause: err },
        );
      }
    }
  }
  const llama = await getLlama({ ...common, gpu: false });
  return { llama, backend: "cpu" };
}
