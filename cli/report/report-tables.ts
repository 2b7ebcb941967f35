// The report's tables, from the analysis: baseline throughput, the K and temperature tables of the classic
// study per host, memory, hosts, invalid cells and greedy mismatches.
import type { ContentionSummary } from "../../core/stats/summarize-contention.js";
import type { HostSnapshot } from "../store/store-records.js";
import { alignmentOf } from "./alignment.js";
import { bestGroup } from "./best-group.js";
import { formatCi, formatNumber, formatPct } from "./format-number.js";
import type { SweepAnalysis } from "./sweep-analysis.js";

export interface Table {
  headers: string[];
  rows: string[][];
}

/** Invalid-cell rows beyond this are summarised as a count (the reason totals are always complete). */
export const MAX_LISTED_INVALID = 200;

export function hostsTable(hosts: HostSnapshot[]): Table {
  return {
    headers: ["host", "GPUs", "driver", "CUDA", "llama.cpp build", "commit", "agent", "backend"],
    rows: hosts.map((h) => [
      h.hostId,
      h.gpus.length === 0 ? "none" : h.gpus.map((g) => g.name).join(", "),
      h.driver ?? "",
      h.cudaVersion ?? "",
      h.llamaVersion ?? "",
      h.llamaCommit ?? "",
      h.agentVersion ?? "",
      h.engineBackend ?? "",
    ]),
  };
}

export function baselineTable(a: SweepAnalysis): Table {
  return {
    headers: ["host", "target", "temperature", "decode t/s", "sd", "n", "95% CI", "prompt t/s", "host noise"],
    rows: a.baselines.map((b) => [
      b.hostId,
      b.target,
      String(b.temperature),
      formatNumber(b.decodeTps.mean),
      formatNumber(b.decodeTps.sd),
      String(b.decodeTps.n),
      formatCi(b.decodeTps.ci95),
      formatNumber(b.promptTps.mean, 1),
      hostNoise(b.contention),
    ]),
  };
}

/** The host-noise cell of a table row: whether the group's runs ran under contention. */
function hostNoise(c: ContentionSummary | undefined): string {
  if (c === undefined) return "not recorded";
  return c.contended > 0 ? `CONTENDED (${c.contended} of ${c.runs} runs; not recommended from)` : "quiet";
}

export function kTable(a: SweepAnalysis, hostId: string): Table {
  return {
    headers: [
      "pair",
      "T",
      "K",
      "decode time ms",
      "t/s",
      "t/s 95% CI",
      "n",
      "speedup",
      "speedup 95% CI",
      "theory",
      "theory from",
      "acceptance (pooled)",
      "accepted / drafted",
      "acceptance (per-run mean)",
      "α (accepted-by-position)",
      "mean accepted length",
      "tokens/step",
      "host noise",
    ],
    rows: a.speculative
      .filter((g) => g.hostId === hostId)
      .map((g) => [
        g.pair,
        String(g.temperature),
        g.adaptive
          ? `adaptive ≤${g.k}`
          : g.k === 0
            ? "— (sized by the method)"
            : String(g.k) + (g.pMin === undefined ? "" : ` (p_min ${g.pMin})`),
        formatNumber(g.decodeMs.mean, 0),
        formatNumber(g.decodeTps.mean),
        formatCi(g.decodeTps.ci95),
        String(g.decodeTps.n),
        g.noneAccepted === true
          ? `${formatNumber(g.speedup)} (0 accepted: noise, not a speedup)`
          : formatNumber(g.speedup),
        formatCi(g.speedupCi95),
        formatNumber(g.theorySpeedup),
        g.theorySource ?? "",
        formatPct(g.acceptPooled.rate),
        `${g.acceptPooled.nAccept} / ${g.acceptPooled.nDrafted}`,
        formatPct(g.acceptRate.mean),
        formatNumber(g.alphaByPosition?.alpha, 3),
        formatNumber(g.meanAcceptedLength),
        formatNumber(g.tokensPerStep.mean),
        hostNoise(g.contention),
      ]),
  };
}

export function temperatureTable(a: SweepAnalysis, hostId: string): Table {
  const rows: string[][] = [];
  const mine = a.speculative.filter((g) => g.hostId === hostId);
  for (const pair of [...new Set(mine.map((g) => g.pair))]) {
    for (const t of [...new Set(mine.filter((g) => g.pair === pair).map((g) => g.temperature))].sort(
      (x, y) => x - y,
    )) {
      const gs = mine.filter((g) => g.pair === pair && g.temperature === t);
      const n = gs.reduce((s, g) => s + g.acceptPooled.runs, 0);
      const best = bestGroup(gs);
      const fit = a.fits.find((f) => f.hostId === hostId && f.pair === pair && f.temperature === t);
      rows.push([
        pair,
        String(t),
        formatNumber(fit?.alpha, 3),
        fit?.alphaSource === undefined ? "" : `${fit.alphaSource} (${fit.alphaFrom ?? ""})`,
        String(n),
        best === undefined ? "n/a" : String(best.k),
        formatPct(best?.acceptPooled.rate),
        formatNumber(best?.decodeTps.mean),
        formatNumber(best?.speedup),
        formatCi(best?.speedupCi95),
        fit?.alpha === undefined ? "" : alignmentOf(fit.alpha),
      ]);
    }
  }
  return {
    headers: [
      "pair",
      "T",
      "α",
      "α from",
      "runs",
      "best K",
      "acceptance at best K (pooled)",
      "t/s at best K",
      "speedup",
      "speedup 95% CI",
      "class",
    ],
    rows,
  };
}

export function memoryTable(a: SweepAnalysis): Table {
  return {
    headers: ["target", "draft", "engine memory MiB", "n", "peak GPU MiB", "n", "estimated MiB"],
    rows: a.memory.map((m) => [
      m.target,
      m.draft ?? "(target alone)",
      formatNumber(m.memoryMib.mean, 0),
      String(m.memoryMib.n),
      formatNumber(m.peakVramMib.mean, 0),
      String(m.peakVramMib.n),
      formatNumber(m.estimatedMib, 0),
    ]),
  };
}

export function invalidTables(a: SweepAnalysis): { byReason: Table; listed: Table; notListed: number } {
  return {
    byReason: {
      headers: ["reason", "results"],
      rows: Object.entries(a.invalidByReason)
        .sort((x, y) => y[1] - x[1])
        .map(([reason, n]) => [reason, String(n)]),
    },
    listed: {
      headers: ["host", "cell", "kind", "status", "reason", "message"],
      rows: a.invalid
        .slice(0, MAX_LISTED_INVALID)
        .map((e) => [e.hostId, e.cellId, e.kind, e.status, e.reason, e.message ?? ""]),
    },
    notListed: Math.max(0, a.invalid.length - MAX_LISTED_INVALID),
  };
}

export function greedyTable(a: SweepAnalysis): Table {
  return {
    headers: ["host", "cell", "pair", "K", "prompt", "seed"],
    rows: a.greedyMismatches.map((g) => [
      g.hostId,
      g.cellId,
      g.pair,
      String(g.k),
      String(g.promptIndex),
      String(g.seed),
    ]),
  };
}
