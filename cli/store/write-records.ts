// Upserts of everything around the results: the sweep, its host snapshots, models and cells. Each call is
// one transaction; calling twice with the same input leaves the database as after the first call.
import { getTableColumns, sql } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

import { kValue, type Cell } from "../../core/cell.js";
import * as schema from "./schema.js";
import type { HostSnapshot, ModelRecord, SweepRecord } from "./store-records.js";

type Db = BetterSQLite3Database<typeof schema>;

/** `excluded.<col>` for every column of the table but its key: the new row's values on conflict. */
function fromExcluded<T extends SQLiteTable>(
  table: T,
  key: ReadonlyArray<keyof T["_"]["columns"]>,
): Record<string, ReturnType<typeof sql>> {
  return Object.fromEntries(
    Object.entries(getTableColumns(table))
      .filter(([k]) => !key.includes(k))
      .map(([k, column]) => [k, sql.raw(`excluded.${column.name}`)]),
  );
}

export function writeSweep(db: Db, sweep: SweepRecord): void {
  const now = new Date().toISOString();
  db.insert(schema.sweeps)
    .values({ ...sweep, updatedAt: now })
    .onConflictDoUpdate({
      target: schema.sweeps.sweepId,
      // Only overwrite what this call knows: a state update must not erase the stored manifest.
      set: {
        state: sweep.state,
        updatedAt: now,
        ...(sweep.name === undefined ? {} : { name: sweep.name }),
        ...(sweep.manifestYaml === undefined ? {} : { manifestYaml: sweep.manifestYaml }),
        ...(sweep.manifestResolved === undefined ? {} : { manifestResolved: sweep.manifestResolved }),
        ...(sweep.submittedAt === undefined ? {} : { submittedAt: sweep.submittedAt }),
        ...(sweep.finishedAt === undefined ? {} : { finishedAt: sweep.finishedAt }),
      },
    })
    .run();
}

export function writeHosts(db: Db, sweepId: string, hosts: HostSnapshot[]): void {
  if (hosts.length === 0) return;
  db.transaction((tx) => {
    ensureSweep(tx, sweepId);
    for (const h of hosts) {
      tx.insert(schema.hosts)
        .values({ ...h, sweepId })
        .onConflictDoUpdate({
          target: [schema.hosts.sweepId, schema.hosts.hostId],
          set: fromExcluded(schema.hosts, ["sweepId", "hostId"]),
        })
        .run();
    }
  });
}

export function writeModels(db: Db, models: ModelRecord[]): void {
  if (models.length === 0) return;
  db.transaction((tx) => {
    for (const m of models) {
      tx.insert(schema.models)
        .values(m)
        .onConflictDoUpdate({
          target: schema.models.sha256,
          set: fromExcluded(schema.models, ["sha256"]),
        })
        .run();
    }
  });
}

export function writeCells(db: Db, sweepId: string, cells: Cell[]): void {
  if (cells.length === 0) return;
  db.transaction((tx) => {
    ensureSweep(tx, sweepId);
    for (const c of cells) {
      const k = kValue(c.k) ?? null;
      tx.insert(schema.cells)
        .values({
          sweepId,
          cellId: c.cellId,
          kind: c.kind,
          engine: c.engine,
          targetName: c.target.name,
          targetSha256: c.target.sha256 ?? null,
          draftName: c.draft?.name ?? null,
          draftSha256: c.draft?.sha256 ?? null,
          k,
          kAdaptive: c.k?.kind === "adaptive",
          pMin: c.pMin ?? null,
          temperature: c.temperature,
          promptIndex: c.promptIndex,
          promptHash: c.promptHash,
          nPredict: c.nPredict,
          seed: c.seed,
          repeat: c.repeat,
          concurrency: c.concurrency ?? null,
          requests: c.requests ?? null,
          params: c,
        })
        // A cellId is a content hash: the same id always means the same parameters.
        .onConflictDoNothing()
        .run();
    }
  });
}

function ensureSweep(tx: Pick<Db, "insert">, sweepId: string): void {
  tx.insert(schema.sweeps)
    .values({ sweepId, state: "unknown", updatedAt: new Date().toISOString() })
    .onConflictDoNothing()
    .run();
}
