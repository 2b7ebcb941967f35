import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { openStoreOr } from "../../workflows/open-store-or.js";
import { Flags } from "@oclif/core";

import { pairLabel } from "../../../core/cell.js";
import { exportRows, type ExportRow } from "../../store/export-results.js";
import { DEFAULT_DB_FILE } from "../../store/open-store.js";

export interface ResultsListResult {
  db: string;
  sweeps: Array<{
    sweep_id: string;
    name: string | null;
    state: string;
    submitted_at: string | null;
    hosts: number;
    cells: number;
    results: number;
    valid: number;
    invalid: number;
    failed: number;
  }>;
  /** With --sweep: that sweep's results. */
  results?: ExportRow[];
}

export default class ResultsList extends SpecgridCommand {
  static override description =
    "List the sweeps in a results database with their counts, or with --sweep the results of one sweep.";

  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --sweep sw-20261128-abc --json",
  ];

  static override enableJsonFlag = true;

  static override flags = {
    db: Flags.string({ description: "results database file", env: "SPECGRID_DB", default: DEFAULT_DB_FILE }),
    sweep: Flags.string({ description: "list this sweep's results" }),
  };

  async run(): Promise<ResultsListResult> {
    const { flags } = await this.parse(ResultsList);
    const store = openStoreOr((m) => this.error(m, { exit: 2 }), flags.db, { sweepId: flags.sweep });
    try {
      const sweeps = store.listSweeps(flags.sweep).map((s) => ({
        sweep_id: s.sweepId,
        name: s.name ?? null,
        state: s.state,
        submitted_at: s.submittedAt ?? null,
        hosts: s.hosts,
        cells: s.cells,
        results: s.results,
        valid: s.ok,
        invalid: s.invalid,
        failed: s.failed,
      }));
      if (sweeps.length === 0) this.log(`${flags.db}: no sweeps yet (run \`specgrid results pull\`)`);
      for (const s of sweeps) {
        this.log(
          `${s.sweep_id}  ${s.state.padEnd(9)} ${String(s.results).padStart(6)} results ` +
            `(${s.valid} valid, ${s.invalid} invalid, ${s.failed} failed)  ${s.hosts} host(s)  ${s.name ?? ""}`,
        );
      }
      if (flags.sweep === undefined) return { db: flags.db, sweeps };
      const results = exportRows(store.results(flags.sweep));
      for (const r of results) {
        const what =
          r.kind === "speculative"
            ? `${pairLabel(r.target ?? "?", r.draft ?? undefined)} K=${r.k}`
            : `${r.kind ?? "?"} ${r.target ?? ""}`;
        const figure =
          r.status === "ok"
            ? `${r.decode_tps?.toFixed(2) ?? "n/a"} t/s`
            : `${r.invalid_reason ?? r.status}: ${r.message ?? ""}`;
        this.log(
          `  ${r.host_id}  ${r.cell_id.slice(0, 12)}  ${what}  T=${r.temperature ?? "?"}  ${r.status}  ${figure}`,
        );
      }
      return { db: flags.db, sweeps, results };
    } finally {
      store.close();
    }
  }
}
