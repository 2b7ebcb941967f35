// Opening the results database: check that the file is ours (or empty) before touching it, then WAL,
// foreign keys, busy timeout, and the committed migrations. A file that is not ours is never written.
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";

import type { Cell } from "../../core/cell.js";
import type { CellResult } from "../../core/metrics.js";
import { ingestResults } from "./ingest-results.js";
import {
  readHosts,
  readModels,
  readResults,
  readSweep,
  readSweepSummaries,
  type ReadResultsOptions,
} from "./read-store.js";
import * as schema from "./schema.js";
import { StoreError, storeUnavailable } from "./store-error.js";
import type {
  HostSnapshot,
  IngestCounts,
  ModelRecord,
  StoredResult,
  SweepRecord,
  SweepSummary,
} from "./store-records.js";
import { writeCells, writeHosts, writeModels, writeSweep } from "./write-records.js";

export interface Store {
  readonly file: string;
  /** Random id created with the database; names this database's durable consumer on the results stream. */
  readonly dbId: string;
  readonly db: BetterSQLite3Database<typeof schema>;
  readonly sqlite: Database.Database;
  upsertSweep(sweep: SweepRecord): void;
  upsertHosts(sweepId: string, hosts: HostSnapshot[]): void;
  upsertModels(models: ModelRecord[]): void;
  upsertCells(sweepId: string, cells: Cell[]): void;
  /** Idempotent: the same result twice is stored once; a valid result is never replaced by a failed one. */
  ingestResults(results: CellResult[]): IngestCounts;
  getSweep(sweepId: string): SweepRecord | undefined;
  /** Like getSweep, but an unknown id is a StoreError listing the sweeps this database holds. */
  requireSweep(sweepId: string): SweepRecord;
  listSweeps(sweepId?: string): SweepSummary[];
  /** The results (of one sweep, or all), ordered by sweep, host and cell; `opts.omit` leaves fields unread. */
  results(sweepId?: string, opts?: ReadResultsOptions): StoredResult[];
  hosts(sweepId: string): HostSnapshot[];
  models(): ModelRecord[];
  close(): void;
}

/** Where commands keep results unless --db or SPECGRID_DB says otherwise. */
export const DEFAULT_DB_FILE = ".specgrid/results.sqlite";

const SQLITE_MAGIC = "SQLite format 3\0";
const OUR_TABLES = ["__drizzle_migrations", "store_meta"];

/** The drizzle/ folder sits at the package root; walk up so this works from sources and from dist/. */
function findMigrationsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "drizzle");
    if (existsSync(path.join(candidate, "meta", "_journal.json"))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error("drizzle/ migrations folder not found above cli/store: the package is incomplete");
}

/**
 * The database id names its durable consumer on the results stream, so a copy (`cp a.sqlite b.sqlite`) must
 * not keep it: the two files would share one consumer and each would silently miss what the other pulled.
 * The file's identity (device and inode) is recorded beside the id; a file whose identity differs from the
 * recorded one is a copy (or a restored backup) and gets a new id, hence a consumer of its own that pulls the
 * stream from the start (ingest is idempotent). A file moved or renamed keeps its inode and its consumer.
 */
function forkedCopyGetsOwnId(sqlite: Database.Database, file: string): void {
  let here: string;
  try {
    const st = statSync(file);
    here = `${st.dev}:${st.ino}`;
  } catch {
    return; // not a plain file (":memory:"): nothing to copy
  }
  const get = sqlite.prepare<[string], { value: string }>("SELECT value FROM store_meta WHERE key = ?");
  const set = sqlite.prepare(
    "INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  );
  const recorded = get.get("db_file")?.value;
  if (recorded === here) return;
  if (recorded !== undefined) set.run("db_id", randomUUID());
  set.run("db_file", here);
}

/** Refuses a file that is not SQLite, is corrupt, or is another program's database, without writing to it. */
function checkOwnership(file: string): void {
  if (!existsSync(file) || statSync(file).size === 0) return;
  const header = Buffer.alloc(16);
  const fd = openSync(file, "r");
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString("latin1") !== SQLITE_MAGIC) {
    throw new StoreError(
      "STORE_NOT_SQLITE",
      `${file} is not a SQLite database (its first bytes are not the SQLite header). ` +
        "Pass --db with a new file name, or the path of a specgrid results database.",
      { file },
    );
  }
  let tables: string[];
  try {
    const ro = new Database(file, { readonly: true, fileMustExist: true });
    try {
      tables = ro
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((r) => r.name);
      const check = ro.pragma("quick_check", { simple: true });
      if (check !== "ok") throw new Error(String(check));
    } finally {
      ro.close();
    }
  } catch (err) {
    throw new StoreError(
      "STORE_CORRUPT",
      `${file} is a damaged SQLite file (${(err as Error).message}). It was left untouched; ` +
        "restore it from a copy, or pass --db with a new file and pull the results again.",
      { file },
      err,
    );
  }
  if (tables.length > 0 && !OUR_TABLES.some((t) => tables.includes(t))) {
    throw new StoreError(
      "STORE_FOREIGN",
      `${file} is a SQLite database of another program (tables: ${tables.slice(0, 5).join(", ")}` +
        `${tables.length > 5 ? ", ..." : ""}). specgrid did not modify it; pass --db with a new file name.`,
      { file, tables },
    );
  }
}

export interface OpenStoreOptions {
  /**
   * Create the file, and its folder, when missing. Only the commands that store results (`results pull`,
   * `run`, `demo`) create a database; read commands refuse a missing one, so a mistyped --db says so.
   * @default true
   */
  create?: boolean;
}

// A --db that cannot be opened as a file: a folder, or (for read commands) nothing there yet.
function checkLocation(file: string, create: boolean): void {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") throw storeUnavailable(file, err, "open");
    if (create) return;
    throw new StoreError(
      "STORE_MISSING",
      `no results database at ${file} (nothing was created). Pass --db (or SPECGRID_DB) with the file that ` +
        "`specgrid results pull` or `specgrid run` wrote: by default .specgrid/results.sqlite, or " +
        "<out>/specgrid.sqlite after `run` and `demo`.",
      { file },
    );
  }
  if (st.isDirectory()) {
    throw new StoreError(
      "STORE_NOT_FILE",
      `${file} is a folder, not a results database. Pass --db with a file path, e.g. ${path.join(file, "results.sqlite")}.`,
      { file },
    );
  }
  if (!create && st.size === 0) {
    throw new StoreError(
      "STORE_MISSING",
      `${file} is empty: it is not a results database yet. Run \`specgrid results pull --db ${file}\` first, ` +
        "or pass --db with the file that holds your results.",
      { file },
    );
  }
}

export function openStore(file: string, opts: OpenStoreOptions = {}): Store {
  checkLocation(file, opts.create ?? true);
  checkOwnership(file);
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  } catch (err) {
    throw storeUnavailable(file, err, "create the folder of");
  }
  let sqlite: Database.Database;
  try {
    sqlite = new Database(file);
  } catch (err) {
    throw storeUnavailable(file, err, "open");
  }
  // Every write goes through here: a full or failing disk becomes a StoreError naming the file (the
  // transaction was rolled back, so nothing of the failed call is stored).
  const writing =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return fn(...args);
      } catch (err) {
        throw storeUnavailable(file, err, "write to");
      }
    };
  try {
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = NORMAL");
    // A pull's batch of 1000 results dirties pages all over the (sweep, cell, host) index (cell ids are
    // hashes), so checkpointing at the default 1000 WAL pages copied most of that index back after nearly
    // every batch. 10,000 pages (40 MiB at 4 KiB) let repeated writes of a page collapse into one copy: ~15 %
    // less ingest CPU. What is committed is in the WAL either way; a checkpoint only moves it.
    sqlite.pragma("wal_autocheckpoint = 10000");
    sqlite.pragma("foreign_keys = ON");
    // Several CLI processes (pull, report) may share one file.
    sqlite.pragma("busy_timeout = 5000");
    const db = drizzle(sqlite, { schema });
    writing(() => {
      migrate(db, { migrationsFolder: findMigrationsDir() });
      sqlite
        .prepare("INSERT INTO store_meta (key, value) VALUES ('db_id', ?) ON CONFLICT(key) DO NOTHING")
        .run(randomUUID());
      forkedCopyGetsOwnId(sqlite, file);
    })();
    const dbId = sqlite
      .prepare<[], { value: string }>("SELECT value FROM store_meta WHERE key = 'db_id'")
      .get()!.value;
    const ingest = ingestResults(sqlite);

    const store: Store = {
      file,
      dbId,
      db,
      sqlite,
      upsertSweep: writing((sweep: SweepRecord) => writeSweep(db, sweep)),
      upsertHosts: writing((sweepId: string, hosts: HostSnapshot[]) => writeHosts(db, sweepId, hosts)),
      upsertModels: writing((models: ModelRecord[]) => writeModels(db, models)),
      upsertCells: writing((sweepId: string, cells: Cell[]) => writeCells(db, sweepId, cells)),
      ingestResults: writing((results: CellResult[]) => ingest(results)),
      getSweep: (sweepId) => readSweep(sqlite, sweepId),
      requireSweep: (sweepId) => {
        const sweep = readSweep(sqlite, sweepId);
        if (sweep !== undefined) return sweep;
        const known = readSweepSummaries(sqlite).map((s) => s.sweepId);
        throw new StoreError(
          "STORE_UNKNOWN_SWEEP",
          `sweep ${sweepId} is not in ${file}. ` +
            (known.length === 0
              ? "The database holds no sweeps yet: run `specgrid results pull` first."
              : `It holds: ${known.slice(0, 10).join(", ")}${known.length > 10 ? ", ..." : ""}. See \`specgrid results list\`.`),
          { file, sweepId, known },
        );
      },
      listSweeps: (sweepId) => readSweepSummaries(sqlite, sweepId),
      results: (sweepId, opts) => readResults(sqlite, sweepId, opts),
      hosts: (sweepId) => readHosts(sqlite, sweepId),
      models: () => readModels(sqlite),
      close: () => sqlite.close(),
    };
    return store;
  } catch (err) {
    sqlite.close();
    if (err instanceof StoreError) throw err;
    throw storeUnavailable(file, err, "open");
  }
}
