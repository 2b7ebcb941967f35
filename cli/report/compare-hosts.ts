// One sweep's hosts side by side: for each (pair, temperature) the same cells' baseline throughput, best K,
// speedup at that K with its interval, and acceptance, per host. For hardware comparison sweeps
// (placement every-host), where every host ran the same grid.
import { pooledMean } from "../../core/metrics.js";
import { bestGroup } from "./best-group.js";
import type { SweepAnalysis } from "./sweep-analysis.js";

export interface HostFigures {
  baselineTps: number | null;
  bestK: number | null;
  decodeTpsAtBestK: number | null;
  speedup: number | null;
  speedupCi95: [number, number] | null;
  acceptRate: number | null;
  /** Valid speculative runs behind these figures. */
  n: number;
}

export interface HostComparisonRow {
  pair: string;
  temperature: number;
  hosts: Record<string, HostFigures>;
}

export interface HostComparison {
  hosts: string[];
  rows: HostComparisonRow[];
}

const orNull = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? x : null);

export function compareHosts(a: SweepAnalysis): HostComparison {
  const keys = [...new Set(a.speculative.map((g) => `${g.pair}\u0000${g.temperature}`))];
  const rows: HostComparisonRow[] = keys.map((key) => {
    const [pair = "", t = "0"] = key.split("\u0000");
    const temperature = Number(t);
    const hosts: Record<string, HostFigures> = {};
    for (const hostId of a.hostIds) {
      const gs = a.speculative.filter(
        (g) => g.hostId === hostId && g.pair === pair && g.temperature === temperature,
      );
      if (gs.length === 0) continue;
      const best = bestGroup(gs);
      const base = a.baselines.find(
        (b) => b.hostId === hostId && b.target === gs[0]!.target && b.temperature === temperature,
      );
      hosts[hostId] = {
        baselineTps: orNull(base?.decodeTps.mean),
        bestK: best?.k ?? null,
        decodeTpsAtBestK: orNull(best?.decodeTps.mean),
        speedup: orNull(best?.speedup),
        speedupCi95: best?.speedupCi95 ?? null,
        acceptRate: pooledMean(gs.map((g) => g.acceptRate)).mean ?? null,
        n: gs.reduce((s, g) => s + g.decodeTps.n, 0),
      };
    }
    return { pair, temperature, hosts };
  });
  return { hosts: a.hostIds, rows };
}
