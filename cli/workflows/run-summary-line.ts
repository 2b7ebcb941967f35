// The closing line of `run` and `demo`. The sweep's counts are a snapshot taken when it stopped; after a
// cancel, results still in flight land in the database afterwards, so the stored count is stated beside
// them (a demo once said "cancelled, 17/114" while its database held 26 results).
import type { RunEmbeddedResult } from "./run-embedded.js";

export function runSummaryLine(label: string, r: RunEmbeddedResult): string {
  const c = r.status.cells;
  const counts = `${c.done}/${c.total} cells (valid ${c.valid}, invalid ${c.invalid}, failed ${c.failed})`;
  const stored = `${r.results_stored} result(s) stored`;
  return r.status.state === "done"
    ? `${label} ${r.sweep_id}: done, ${counts}; ${stored}`
    : `${label} ${r.sweep_id}: ${r.status.state}; ${stored} (${counts} when it stopped)`;
}
