// nvidia-smi CSV (`--format=csv,noheader,nounits`): one GPU per line, fields in the order queried.
// Unsupported fields read `[N/A]` or `[Not Supported]`; those become undefined rather than NaN.

export const GPU_QUERY_FIELDS = [
  "index",
  "name",
  "uuid",
  "memory.total",
  "memory.used",
  "driver_version",
  "compute_cap",
  "power.limit",
  "clocks.sm",
  "clocks.max.sm",
] as const;

export interface GpuInfo {
  index: number;
  name: string;
  uuid: string;
  memoryTotalMib?: number;
  memoryUsedMib?: number;
  driverVersion?: string;
  computeCapability?: string;
  powerLimitW?: number;
  smClockMhz?: number;
  smClockMaxMhz?: number;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v.startsWith("[") || v === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function str(v: string | undefined): string | undefined {
  return v === undefined || v.startsWith("[") || v === "" ? undefined : v;
}

export function parseGpuCsv(text: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const f = line.split(",").map((s) => s.trim());
    const index = num(f[0]);
    if (index === undefined || f.length < GPU_QUERY_FIELDS.length) continue;
    const gpu: GpuInfo = { index, name: f[1] ?? "", uuid: f[2] ?? "" };
    const opt = {
      memoryTotalMib: num(f[3]),
      memoryUsedMib: num(f[4]),
      driverVersion: str(f[5]),
      computeCapability: str(f[6]),
      powerLimitW: num(f[7]),
      smClockMhz: num(f[8]),
      smClockMaxMhz: num(f[9]),
    };
    for (const [k, v] of Object.entries(opt)) if (v !== undefined) Object.assign(gpu, { [k]: v });
    gpus.push(gpu);
  }
  return gpus;
}

/** `CUDA Version: 12.4` from the banner of plain `nvidia-smi`. */
export function parseCudaVersion(text: string): string | undefined {
  return /CUDA Version:\s*([\d.]+)/.exec(text)?.[1];
}
