import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { openStoreOr } from "../../workflows/open-store-or.js";
import { writeFile } from "node:fs/promises";

import { Flags } from "@oclif/core";

import { exportRows, toCsv } from "../../store/export-results.js";
import { DEFAULT_DB_FILE } from "../../store/open-store.js";

export interface ResultsExportResult {
  format: "csv" | "json";
  rows: number;
  /** The file written, or null when the rows went to stdout. */
  out: string | null;
}

export default class ResultsExport extends SpecgridCommand {
  static override description =
    "Export results with their cell parameters as CSV or JSON (one row per result, snake_case columns).";

  static override examples = [
    "<%= config.bin %> <%= command.id %> --format csv --sweep sw-20261128-abc --out results.csv",
    "<%= config.bin %> <%= command.id %> --format json > all-results.json",
  ];

  static override enableJsonFlag = true;

  static override flags = {
    format: Flags.option({
      options: ["csv", "json"] as const,
      description: "output format",
      required: true,
    })(),
    sweep: Flags.string({ description: "only this sweep (default: every sweep in the database)" }),
    db: Flags.string({ description: "results database file", env: "SPECGRID_DB", default: DEFAULT_DB_FILE }),
    out: Flags.string({ description: "file to write (default: stdout)" }),
  };

  async run(): Promise<ResultsExportResult> {
    const { flags } = await this.parse(ResultsExport);
    const store = openStoreOr((m) => this.error(m, { exit: 2 }), flags.db, { sweepId: flags.sweep });
    try {
      const rows = exportRows(store.results(flags.sweep));
      const text = flags.format === "csv" ? toCsv(rows) : `${JSON.stringify(rows, null, 2)}\n`;
      if (flags.out !== undefined) {
        await writeFile(flags.out, text);
        this.logToStderr(`${rows.length} result(s) written to ${flags.out}`);
      } else if (!this.jsonEnabled()) {
        process.stdout.write(text);
      }
      return { format: flags.format, rows: rows.length, out: flags.out ?? null };
    } finally {
      store.close();
    }
  }
}
