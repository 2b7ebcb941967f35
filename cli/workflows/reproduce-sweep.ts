// `specgrid reproduce`: submit a stored sweep's manifest again with every model pinned by the sha256 it
// ran with (same prompts, seeds and settings), wait for it, pull its results and compare them with the
// original. Warns where the hosts' llama.cpp build, driver, CUDA or GPUs differ from the original run.
import { parseDocument } from "yaml";

import type { CoordinatorClient } from "../../core/wire/coordinator-client.js";
import type { Store } from "../store/open-store.js";
import { awaitCounted, missingResultsWarning, pullResults } from "./pull-results.js";
import { StoreError } from "../store/store-error.js";
import type { HostSnapshot, StoredResult } from "../store/store-records.js";
import { syncSweep } from "./sync-sweep.js";
import { compareSweeps, type SweepComparison } from "../report/compare-sweeps.js";
import { loadValidSweep } from "../report/write-report.js";

export interface ReproduceOptions {
  store: Store;
  sweepId: string;
  client: CoordinatorClient;
  natsServers: string | string[];
  /** How often to ask the coordinator whether the new sweep has ended. @default 1000 */
  pollMs?: number;
  signal?: AbortSignal;
  /** Relative difference treated as negligible in the verdicts. @default 0.05 */
  tolerance?: number;
  log?: (line: string) => void;
}

export interface ReproduceResult {
  originalSweepId: string;
  newSweepId: string;
  newState: string;
  warnings: string[];
  comparison: SweepComparison;
}

/** A submitted prompt's text: a string, or `{ text, category }` (categorised prompts). */
function promptText(p: unknown): string | undefined {
  if (typeof p === "string") return p;
  const text = typeof p === "object" && p !== null ? (p as { text?: unknown }).text : undefined;
  return typeof text === "string" ? text : undefined;
}

/** The submitted manifest with each model pinned to the sha256 its cells ran with. */
export function pinnedManifest(
  manifestYaml: string,
  results: StoredResult[],
): { manifestYaml: string; prompts: string[] } {
  const doc = parseDocument(manifestYaml);
  const shaByName = new Map<string, string>();
  for (const r of results) {
    for (const ref of [r.cell?.target, r.cell?.draft]) {
      if (ref?.sha256 !== undefined) shaByName.set(ref.name, ref.sha256);
    }
  }
  for (const [name, sha] of shaByName) {
    if (doc.hasIn(["models", name])) doc.setIn(["models", name, "sha256"], sha);
  }
  const prompts = doc.get("prompts");
  const texts = (prompts as { toJSON(): unknown } | undefined)?.toJSON();
  return {
    manifestYaml: doc.toString(),
    prompts: Array.isArray(texts) ? texts.map(promptText).filter((p): p is string => p !== undefined) : [],
  };
}

/** What differs between the hosts of the original run and of the reproduction. */
export function hostDifferences(before: HostSnapshot[], after: HostSnapshot[]): string[] {
  const warnings: string[] = [];
  const byId = new Map(after.map((h) => [h.hostId, h]));
  for (const b of before) {
    const a = byId.get(b.hostId);
    if (a === undefined) {
      warnings.push(`host ${b.hostId} ran the original but not the reproduction`);
      continue;
    }
    const fields: Array<[string, string | undefined, string | undefined]> = [
      ["llama.cpp build", b.llamaVersion, a.llamaVersion],
      ["llama.cpp commit", b.llamaCommit, a.llamaCommit],
      ["driver", b.driver, a.driver],
      ["CUDA", b.cudaVersion, a.cudaVersion],
      ["GPUs", b.gpus.map((g) => g.name).join(", "), a.gpus.map((g) => g.name).join(", ")],
      ["agent", b.agentVersion, a.agentVersion],
      ["backend", b.engineBackend, a.engineBackend],
    ];
    for (const [what, was, now] of fields) {
      if ((was ?? "") !== (now ?? ""))
        warnings.push(`host ${b.hostId}: ${what} was ${was ?? "unknown"}, now ${now ?? "unknown"}`);
    }
  }
  const known = new Set(before.map((h) => h.hostId));
  for (const a of after)
    if (!known.has(a.hostId)) warnings.push(`host ${a.hostId} is new in the reproduction`);
  return warnings;
}

export async function reproduceSweep(o: ReproduceOptions): Promise<ReproduceResult> {
  const log = o.log ?? ((): void => undefined);
  const sweep = o.store.requireSweep(o.sweepId);
  const original = loadValidSweep(o.store, o.sweepId);
  if (sweep.manifestYaml === undefined) {
    throw new StoreError(
      "STORE_UNKNOWN_SWEEP",
      `sweep ${o.sweepId} has results but no stored manifest in ${o.store.file}: pull it with the coordinator's ` +
        "token (`specgrid results pull --token ...`) so its manifest and cells are stored, then reproduce.",
      { sweepId: o.sweepId },
    );
  }
  const request = pinnedManifest(sweep.manifestYaml, original);
  const submitted = await o.client.submitSweep({
    manifestYaml: request.manifestYaml,
    manifestName: `reproduce-${o.sweepId}.yaml`,
    prompts: request.prompts,
  });
  log(`submitted ${submitted.sweepId} (${submitted.cells} cells) to reproduce ${o.sweepId}`);
  const warnings = [...submitted.warnings];
  let state = "running";
  let counted = 0;
  while (o.signal?.aborted !== true) {
    const status = await o.client.getSweep(submitted.sweepId);
    state = status.state;
    counted = status.done;
    if (state !== "running" && state !== "submitted" && state !== "") break;
    log(`  ${status.done}/${status.placementsTotal} done`);
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
  }
  await syncSweep(o.store, o.client, submitted.sweepId);
  const pull = { natsServers: o.natsServers, store: o.store, sweepId: submitted.sweepId };
  await pullResults({ ...pull, idleMs: 500 });
  // a verdict on a sweep whose results are partly missing would compare the wrong runs
  const stored = await awaitCounted(
    o.store,
    submitted.sweepId,
    counted,
    async () => {
      await pullResults({ ...pull, idleMs: 2000 });
    },
    { onWait: (missing) => log(`waiting for ${missing} result(s) the coordinator counted`) },
  );
  if (stored < counted)
    warnings.push(
      missingResultsWarning(
        stored,
        counted,
        "the comparison leaves them out; `specgrid results pull` gets them while the NATS server holding them runs",
      ),
    );
  warnings.push(...hostDifferences(o.store.hosts(o.sweepId), o.store.hosts(submitted.sweepId)));
  const repro = loadValidSweep(o.store, submitted.sweepId);
  const comparison = compareSweeps(o.sweepId, original, submitted.sweepId, repro, {
    ...(o.tolerance === undefined ? {} : { tolerance: o.tolerance }),
  });
  return { originalSweepId: o.sweepId, newSweepId: submitted.sweepId, newState: state, warnings, comparison };
}
