// Recommendations you can paste: for each host and target, the llama-server configuration with the best
// measured speedup among those whose 95% interval lies wholly above 1 (any pair, speculation method, K and
// temperature; contended, unstable and never-accepted groups excluded, as everywhere else), as the
// command line in the spellings that host's llama-server accepts (its probed capability map, stored with
// the host snapshot), with its speedup and interval; "run without speculation" when nothing pays, and no
// recommendation (naming the configuration) when what paid ran while the host was contended.
import type { Cell } from "../../core/cell.js";
import { speculationArgv } from "../../core/llama-server-flags.js";
import { DEFAULT_SPEC_TYPE } from "../../core/spec-types.js";
import type { ToolCapabilities } from "../../core/tool-capabilities.js";
import type { HostSnapshot, StoredResult } from "../store/store-records.js";
import { bestGroup } from "./best-group.js";
import { formatCi, formatNumber } from "./format-number.js";
import { isContended } from "./noise-check.js";
import type { SpeculativeGroup, SweepAnalysis } from "./sweep-analysis.js";

export interface ServerRecommendation {
  hostId: string;
  target: string;
  /** argv of the recommended server, model paths as `<models dir>/<file>` on that host; absent when nothing pays. */
  argv?: string[];
  speedup?: number;
  ci95?: [number, number];
  temperature?: number;
  /** One line for the report. */
  text: string;
}

/** The llama-server capability map a host's agent probed, from its snapshot. */
function serverCaps(host: HostSnapshot | undefined): ToolCapabilities | undefined {
  const builds = (host?.facts as { llamaBuilds?: unknown } | undefined)?.llamaBuilds;
  if (!Array.isArray(builds)) return undefined;
  for (const b of builds as Array<{ binary?: unknown; capabilitiesJson?: unknown }>) {
    if (b.binary !== "llama-server" || typeof b.capabilitiesJson !== "string") continue;
    try {
      return JSON.parse(b.capabilitiesJson) as ToolCapabilities;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const same = (a?: Record<string, number>, b?: Record<string, number>): boolean =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b ?? {}).sort());

/** A cell of the group, for its model files and llama settings. */
function cellOf(g: SpeculativeGroup, results: readonly StoredResult[]): Cell | undefined {
  return results.find(
    (r) =>
      r.status === "ok" &&
      r.hostId === g.hostId &&
      r.cell?.kind === "speculative" &&
      r.cell.target.name === g.target &&
      (r.cell.draft?.name ?? "none") === g.draft &&
      r.cell.temperature === g.temperature &&
      (r.cell.k?.kind === "fixed" ? r.cell.k.k : 0) === g.k &&
      (r.cell.pMin ?? undefined) === g.pMin &&
      (r.cell.specType ?? DEFAULT_SPEC_TYPE) === g.specType &&
      same(r.cell.specSettings, g.specSettings),
  )?.cell;
}

/** The command line of a group's server on a host, or why it cannot be written. */
export function serverCommand(
  g: SpeculativeGroup,
  cell: Cell,
  caps: ToolCapabilities,
  modelsDir = "<models dir>",
): string[] {
  const argv = ["llama-server", "-m", `${modelsDir}/${cell.target.file ?? cell.target.name}`];
  argv.push("-c", String(cell.llama.ctx));
  if (caps.gpuLayers) argv.push(caps.gpuLayers, String(cell.llama.gpuLayers));
  if (cell.llama.threads !== undefined) argv.push("-t", String(cell.llama.threads));
  const draftPath =
    cell.draft === undefined ? undefined : `${modelsDir}/${cell.draft.file ?? cell.draft.name}`;
  argv.push(
    ...speculationArgv(
      caps,
      undefined,
      {
        speculative: true,
        specType: g.specType,
        ...(g.specSettings === undefined ? {} : { specSettings: g.specSettings }),
        ...(g.k > 0 ? { k: g.k, pMin: g.pMin ?? 0 } : {}),
        slots: 1,
        llama: cell.llama,
      },
      draftPath,
    ),
  );
  return argv;
}

/** Quotes an argv element for a POSIX shell when it needs it. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./<>-]+$/.test(w) && !/[<>]/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`;
}

export function recommendCommands(
  a: SweepAnalysis,
  results: readonly StoredResult[],
  hosts: readonly HostSnapshot[],
): ServerRecommendation[] {
  const out: ServerRecommendation[] = [];
  const keys = [...new Set(a.speculative.map((g) => `${g.hostId}\u0000${g.target}`))].sort();
  for (const key of keys) {
    const [hostId = "", target = ""] = key.split("\u0000");
    const groups = a.speculative.filter(
      (g) =>
        g.hostId === hostId &&
        g.target === target &&
        g.speedupCi95 !== undefined &&
        g.speedupCi95[0] > 1 &&
        g.precision?.met !== false &&
        g.nParallel === undefined,
    );
    const best = bestGroup(groups);
    if (best === undefined) {
      // paying configurations that ran under contention are never recommended from; say so rather than
      // advise against speculation the runs measured as paying
      const contended = groups
        .filter((g) => isContended(g) && g.noneAccepted !== true && !g.adaptive)
        .sort((a, b) => (b.speedup ?? 0) - (a.speedup ?? 0))[0];
      out.push({
        hostId,
        target,
        text:
          contended === undefined
            ? `${hostId}, ${target}: run without speculation: no measured configuration's 95% interval lies above 1.`
            : `${hostId}, ${target}: no recommendation: the best configuration whose 95% interval lies above 1, ${contended.pair}${contended.k > 0 ? ` K=${contended.k}` : ""} (${formatNumber(contended.speedup)}x, 95% CI ${formatCi(contended.speedupCi95)}, at T=${contended.temperature}), ran while the host was contended, and contended groups are never recommended from; measure again on a quiet host.`,
      });
      continue;
    }
    const caps = serverCaps(hosts.find((h) => h.hostId === hostId));
    const cell = cellOf(best, results);
    const figures = `${formatNumber(best.speedup)}x, 95% CI ${formatCi(best.speedupCi95)}, at T=${best.temperature}`;
    if (caps === undefined || cell === undefined) {
      out.push({
        hostId,
        target,
        speedup: best.speedup!,
        ci95: best.speedupCi95!,
        temperature: best.temperature,
        text: `${hostId}, ${target}: best is ${best.pair} K=${best.k} (${figures}); no llama-server capability map was recorded for this host, so no command line.`,
      });
      continue;
    }
    let argv: string[];
    try {
      argv = serverCommand(best, cell, caps);
    } catch (err) {
      out.push({
        hostId,
        target,
        text: `${hostId}, ${target}: best is ${best.pair} (${figures}), but this host's llama-server cannot be told to run it: ${(err as Error).message}`,
      });
      continue;
    }
    out.push({
      hostId,
      target,
      argv,
      speedup: best.speedup!,
      ci95: best.speedupCi95!,
      temperature: best.temperature,
      text: `${hostId}, ${target}: ${argv.map(shellWord).join(" ")}   # measured ${figures}`,
    });
  }
  return out;
}
