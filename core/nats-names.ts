// Every NATS name specgrid uses, in one place: streams, subjects, KV buckets, consumer names, message ids.
// Subjects are dot-separated tokens, so ids placed in them must not contain dots or wildcards.
import { createHash } from "node:crypto";
import type { ShardNeeds } from "./plan/shard-needs.js";

export const JOBS_STREAM = "SPECGRID_JOBS";
export const RESULTS_STREAM = "SPECGRID_RESULTS";
export const EVENTS_STREAM = "SPECGRID_EVENTS";

export const JOBS_SUBJECTS = "specgrid.jobs.>";
export const RESULTS_SUBJECTS = "specgrid.results.>";
export const EVENTS_SUBJECTS = "specgrid.events.>";

export const RESULTS_SUBJECT_PREFIX = "specgrid.results";
/**
 * Plain NATS (no stream): the coordinator says here that a sweep was submitted or cancelled, and agents
 * heartbeat at once to learn their pools and cancels, instead of at their next beat (5 s by default).
 */
export const CONTROL_SUBJECT = "specgrid.control.sweeps";
export const EVENTS_SUBJECT_PREFIX = "specgrid.events";

/** KV buckets: sweeps (definition + state), agent registry (bucket TTL). */
export const SWEEPS_BUCKET = "specgrid_sweeps";
export const AGENTS_BUCKET = "specgrid_agents";
/** Placements with a valid result, written by agents so a redelivered shard skips them. */
export const DONE_BUCKET = "specgrid_done";

/** Key in DONE_BUCKET: spread placements use host "any" (any host's result counts). */
export function doneKey(sweepId: string, cellId: string, placementHost: string | undefined): string {
  return `${sweepId}.${cellId}.${placementHost ?? "any"}`;
}

const TOKEN_RE = /^[A-Za-z0-9_-]+$/;

/** Throws when `id` cannot be one subject token (dots or wildcards would change the subject's meaning). */
export function assertSubjectToken(id: string, what: string): string {
  if (!TOKEN_RE.test(id))
    throw new Error(`${what} "${id}" must match ${TOKEN_RE.source} to be used in a NATS subject`);
  return id;
}

export function jobsSubject(pool: string): string {
  return `specgrid.jobs.${assertSubjectToken(pool, "pool")}`;
}

export function resultsSubject(sweepId: string): string {
  return `${RESULTS_SUBJECT_PREFIX}.${assertSubjectToken(sweepId, "sweep id")}`;
}

export function eventsSubject(sweepId: string): string {
  return `${EVENTS_SUBJECT_PREFIX}.${assertSubjectToken(sweepId, "sweep id")}`;
}

/**
 * Spread placement: one pool per eligibility requirement (core/plan/shard-needs.ts: engine, models by
 * sha256, llama.cpp tools and flags, memory), so an agent pulls only shards it is eligible for.
 */
export function requirementPool(needs: ShardNeeds): string {
  const canonical = JSON.stringify([
    needs.engine,
    [...needs.sha256s].map((s) => s.toLowerCase()).sort(),
    needs.tools.map((t) => [t.tool, ...t.flags, ...(t.specTypes ?? []).map((s) => `type:${s}`)]),
    needs.memory.withDraft,
    needs.memory.ctx,
    needs.memory.parallel,
    needs.memory.gpuLayers,
  ]);
  return `req-${createHash("sha256").update(canonical).digest("hex").slice(0, 12)}`;
}

/** every-host / selector placement: one pool per host. */
export function hostPool(agentId: string): string {
  return `host-${assertSubjectToken(agentId, "agent id")}`;
}

/** Shard message id: the same shard for the same host is published once, whoever retries. */
export function shardMsgId(sweepId: string, shardId: string, hostId: string | undefined): string {
  return `${sweepId}.${shardId}.${hostId ?? "any"}`;
}

/**
 * Result message id: one result per placement however often the shard is redelivered. For spread placement
 * pass `undefined` (host "any"): a second host re-running a cell whose result was published is deduped.
 */
export function resultMsgId(sweepId: string, cellId: string, placementHost: string | undefined): string {
  return `${sweepId}.${cellId}.${placementHost ?? "any"}`;
}
