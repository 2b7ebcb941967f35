// GPU facts from nvidia-smi. A host without an NVIDIA driver is a valid host (CPU runs, the demo); the
// probe says why there are no GPUs instead of throwing.
import { runProcess } from "../process/run-process.js";
import { GPU_QUERY_FIELDS, parseCudaVersion, parseGpuCsv, type GpuInfo } from "./parse-nvidia-smi.js";

export interface GpuProbe {
  gpus: GpuInfo[];
  cudaVersion?: string;
  /** Set when there are no GPUs: why (no nvidia-smi, driver not loaded, ...). */
  reason?: string;
}

export interface ProbeGpusOptions {
  /** Program to run. @default "nvidia-smi" */
  nvidiaSmi?: string;
  /** @default 15000 */
  timeoutMs?: number;
}

export async function probeGpus(opts: ProbeGpusOptions = {}): Promise<GpuProbe> {
  const smi = opts.nvidiaSmi ?? "nvidia-smi";
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const query = await runProcess(
    [smi, `--query-gpu=${GPU_QUERY_FIELDS.join(",")}`, "--format=csv,noheader,nounits"],
    { timeoutMs },
  );
  if (query.spawnError) return { gpus: [], reason: `${smi} not available (${query.spawnError})` };
  if (query.timedOut) return { gpus: [], reason: `${smi} did not answer within ${timeoutMs} ms` };
  if (query.exitCode !== 0) {
    const why = (query.stdout + query.stderr).trim().split("\n")[0] ?? "";
    return { gpus: [], reason: `${smi} exited ${query.exitCode ?? query.signal}: ${why}` };
  }
  const gpus = parseGpuCsv(query.stdout);
  const banner = await runProcess([smi], { timeoutMs });
  const cudaVersion = parseCudaVersion(banner.stdout);
  return {
    gpus,
    ...(cudaVersion ? { cudaVersion } : {}),
    ...(gpus.length === 0 ? { reason: `${smi} listed no GPUs` } : {}),
  };
}
