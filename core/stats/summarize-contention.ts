// Host noise over a group of runs (core/measurement-protocol's per-cell HostNoise): how many ran under
// contention and the worst load recorded, so a report or a reproduction verdict can name the load that
// confounds it instead of reporting a difference in the system.
import type { HostNoise } from "../measurement-protocol.js";

export interface ContentionSummary {
  runs: number;
  /** Runs that recorded host noise at all. */
  measured: number;
  /** Runs marked contended. */
  contended: number;
  maxLoadAvg1?: number;
  maxOtherCpuCores?: number;
  cores?: number;
  /** One contended run's reason, as the agent wrote it. */
  reason?: string;
}

export function summarizeContention(noises: ReadonlyArray<HostNoise | undefined>): ContentionSummary {
  const out: ContentionSummary = { runs: noises.length, measured: 0, contended: 0 };
  for (const n of noises) {
    if (n === undefined) continue;
    out.measured++;
    if (n.contended) {
      out.contended++;
      if (out.reason === undefined && n.contendedReason !== undefined) out.reason = n.contendedReason;
    }
    if (Number.isFinite(n.loadAvg1)) out.maxLoadAvg1 = Math.max(out.maxLoadAvg1 ?? -Infinity, n.loadAvg1);
    if (Number.isFinite(n.otherCpuCores))
      out.maxOtherCpuCores = Math.max(out.maxOtherCpuCores ?? -Infinity, n.otherCpuCores);
    if (Number.isFinite(n.cores)) out.cores = Math.max(out.cores ?? 0, n.cores);
  }
  return out;
}

export function mergeContention(a: ContentionSummary, b: ContentionSummary): ContentionSummary {
  const max = (x?: number, y?: number): number | undefined =>
    x === undefined ? y : y === undefined ? x : Math.max(x, y);
  const out: ContentionSummary = {
    runs: a.runs + b.runs,
    measured: a.measured + b.measured,
    contended: a.contended + b.contended,
  };
  const load = max(a.maxLoadAvg1, b.maxLoadAvg1);
  const other = max(a.maxOtherCpuCores, b.maxOtherCpuCores);
  const cores = max(a.cores, b.cores);
  const reason = a.reason ?? b.reason;
  if (load !== undefined) out.maxLoadAvg1 = load;
  if (other !== undefined) out.maxOtherCpuCores = other;
  if (cores !== undefined) out.cores = cores;
  if (reason !== undefined) out.reason = reason;
  return out;
}

/** `12 of 48 runs ran under contention (load average up to 3.10; other processes kept up to 1.85 of 2 cores busy)`. */
export function describeContention(s: ContentionSummary): string {
  const parts: string[] = [];
  if (s.maxLoadAvg1 !== undefined) parts.push(`load average up to ${s.maxLoadAvg1.toFixed(2)}`);
  if (s.maxOtherCpuCores !== undefined)
    parts.push(
      `other processes kept up to ${s.maxOtherCpuCores.toFixed(2)}${s.cores === undefined ? "" : ` of ${s.cores}`} cores busy`,
    );
  return `${s.contended} of ${s.runs} runs ran under contention${parts.length > 0 ? ` (${parts.join("; ")})` : ""}`;
}
