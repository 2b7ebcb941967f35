// The results database. One row per sweep, per host snapshot, per model, per cell and per
// (sweep, cell, host) result. A result's metrics are kept once, a column per METRIC_FIELDS entry
// (core/metrics.ts): numbers and text as they are, lists and nested records (noise, warmup) as JSON.
// Generated migrations live in drizzle/ (`npm run gen:db`).
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

import { CELL_STATUSES, METRIC_FIELDS, type CellMetrics, type MetricField } from "../../core/metrics.js";

/** Facts about this database itself, e.g. its id (which names its durable consumer on the results stream). */
export const storeMeta = sqliteTable("store_meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export const sweeps = sqliteTable("sweeps", {
  sweepId: text("sweep_id").primaryKey(),
  name: text("name"),
  /** running | done | failed | cancelled | unknown (results pulled before the sweep itself was fetched). */
  state: text("state").notNull().default("unknown"),
  manifestYaml: text("manifest_yaml"),
  manifestResolved: text("manifest_resolved", { mode: "json" }).$type<unknown>(),
  submittedAt: text("submitted_at"),
  finishedAt: text("finished_at"),
  updatedAt: text("updated_at").notNull(),
});

export const hosts = sqliteTable(
  "hosts",
  {
    sweepId: text("sweep_id")
      .notNull()
      .references(() => sweeps.sweepId, { onDelete: "cascade" }),
    hostId: text("host_id").notNull(),
    hostname: text("hostname"),
    os: text("os"),
    cpu: text("cpu"),
    cpuCores: integer("cpu_cores"),
    memoryMib: real("memory_mib"),
    gpus: text("gpus", { mode: "json" }).$type<unknown[]>().notNull(),
    driver: text("driver"),
    cudaVersion: text("cuda_version"),
    llamaVersion: text("llama_version"),
    llamaBuildNumber: integer("llama_build_number"),
    llamaCommit: text("llama_commit"),
    agentVersion: text("agent_version"),
    engineBackend: text("engine_backend"),
    labels: text("labels", { mode: "json" }).$type<Record<string, string>>().notNull(),
    facts: text("facts", { mode: "json" }).$type<unknown>(),
  },
  (t) => [primaryKey({ columns: [t.sweepId, t.hostId] })],
);

export const models = sqliteTable("models", {
  sha256: text("sha256").primaryKey(),
  name: text("name").notNull(),
  file: text("file"),
  bytes: integer("bytes"),
  facts: text("facts", { mode: "json" }).$type<unknown>(),
});

export const cells = sqliteTable(
  "cells",
  {
    sweepId: text("sweep_id")
      .notNull()
      .references(() => sweeps.sweepId, { onDelete: "cascade" }),
    cellId: text("cell_id").notNull(),
    kind: text("kind").notNull(),
    engine: text("engine").notNull(),
    targetName: text("target_name").notNull(),
    targetSha256: text("target_sha256"),
    draftName: text("draft_name"),
    draftSha256: text("draft_sha256"),
    /** Fixed K, or the adaptive policy's kMax; null for baselines. */
    k: integer("k"),
    kAdaptive: integer("k_adaptive", { mode: "boolean" }).notNull().default(false),
    pMin: real("p_min"),
    temperature: real("temperature").notNull(),
    promptIndex: integer("prompt_index").notNull(),
    promptHash: text("prompt_hash").notNull(),
    nPredict: integer("n_predict").notNull(),
    seed: integer("seed").notNull(),
    repeat: integer("repeat").notNull(),
    concurrency: integer("concurrency"),
    requests: integer("requests"),
    params: text("params", { mode: "json" }).$type<unknown>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.sweepId, t.cellId] })],
);

const METRIC_COLUMN_OF = {
  int: (name: string) => integer(name),
  real: (name: string) => real(name),
  text: (name: string) => text(name),
  reals: (name: string) => text(name, { mode: "json" }).$type<number[]>(),
  message: (name: string) => text(name, { mode: "json" }).$type<Record<string, unknown>>(),
} as const;

type MetricColumnBuilders = {
  [F in MetricField as F["key"]]: ReturnType<(typeof METRIC_COLUMN_OF)[F["type"]]>;
};

/** One nullable column per metric field, named by its snake_case name, keyed by its CellMetrics key. */
function metricColumns(): MetricColumnBuilders {
  return Object.fromEntries(
    METRIC_FIELDS.map((f) => [f.key, METRIC_COLUMN_OF[f.type](f.name)]),
  ) as MetricColumnBuilders;
}

/** The results columns that hold metrics: keys of CellMetrics. */
export type MetricKey = keyof CellMetrics;

export const results = sqliteTable(
  "results",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    sweepId: text("sweep_id")
      .notNull()
      .references(() => sweeps.sweepId, { onDelete: "cascade" }),
    cellId: text("cell_id").notNull(),
    hostId: text("host_id").notNull(),
    shardId: text("shard_id").notNull(),
    status: text("status", { enum: CELL_STATUSES }).notNull(),
    invalidReason: text("invalid_reason"),
    message: text("message"),
    attempt: integer("attempt").notNull(),
    engine: text("engine").notNull(),
    backend: text("backend"),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at").notNull(),
    ...metricColumns(),
    stderrTail: text("stderr_tail"),
    command: text("command", { mode: "json" }).$type<string[]>(),
    ingestedAt: text("ingested_at").notNull(),
  },
  (t) => [
    uniqueIndex("results_key_uq").on(t.sweepId, t.cellId, t.hostId),
    index("results_sweep_status_idx").on(t.sweepId, t.status),
  ],
);
