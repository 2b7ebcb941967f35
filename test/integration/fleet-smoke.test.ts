// The fleet benchmark at CI size: 4 agent processes, a few dozen cells. It asserts the figures are produced
// and hang together (nothing beats the ideal makespan, the first result comes before close-out, percentiles
// are ordered), not that a shared box meets the fleet targets: that is the benchmark's job.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLEET_64, runFleet, type FleetFigures } from "../bench/fleet.js";

describe("fleet benchmark, smoke size", () => {
  let dir: string;
  let f: FleetFigures;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-fleet-smoke-"));
    f = await runFleet(dir, {
      ...FLEET_64,
      agents: 4,
      spread: { pairs: 4, ks: 1, temperatures: 1, prompts: 2, repeats: 2 },
      everyHost: { pairs: 1, ks: 1, temperatures: 1, prompts: 1, repeats: 2 },
      meanCellMs: 20,
      targetShardMs: 200,
      heartbeatMs: 1_000,
      timeoutMs: 150_000,
    });
  }, 200_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs every placement of both sweeps and counts each once", () => {
    // 2 prompts × 2 repeats × 4 pairs × 1 K × (baseline + speculative)
    expect(f.spreadCells).toBe(32);
    expect(f.agents).toBe(4);
    expect(f.slowAgents).toBe(1);
    // every-host: 4 cells on each agent holding draft 0
    expect(f.everyHostPlacements % 4).toBe(0);
    expect(f.everyHostPlacements).toBeGreaterThanOrEqual(8);
    expect(f.resultsReceived).toBeGreaterThanOrEqual(f.spreadCells + f.everyHostPlacements);
    expect(f.duplicateResults).toBe(f.resultsReceived - f.spreadCells - f.everyHostPlacements);
  });

  it("measures the coordinator's own process and the agents'", () => {
    expect(f.coordinatorPeakRssMib).toBeGreaterThan(20);
    expect(f.coordinatorPeakRssMib).toBeLessThan(2_000);
    expect(f.coordinatorCpuS).toBeGreaterThan(0);
    expect(f.agentPeakRssMibMedian).toBeGreaterThan(20);
    expect(f.agentPerCellMs.p50).toBeGreaterThanOrEqual(0);
    expect(f.agentPerCellMs.p99).toBeGreaterThanOrEqual(f.agentPerCellMs.p50);
  });

  it("times submit, first result and close-out in order", () => {
    for (const s of ["spread", "everyHost"] as const) {
      expect(f.submitRpcMs[s]).toBeGreaterThan(0);
      expect(f.submitToFirstResultMs[s]).toBeGreaterThan(0);
      expect(f.submitToFirstResultMs[s]).toBeLessThanOrEqual(f.submitToCloseOutMs[s]);
      expect(f.submitToCloseOutMs[s]).toBeLessThanOrEqual(f.makespanMs + 1);
    }
    expect(f.cellsPerS).toBeCloseTo((f.spreadCells + f.everyHostPlacements) / (f.makespanMs / 1000), 6);
  });

  it("never beats the ideal makespan, and idle time is a share of the makespan", () => {
    expect(f.idealMakespanMs).toBeGreaterThan(0);
    expect(f.makespanOverIdeal).toBeGreaterThan(1);
    expect(f.idleWhileWaiting.maxPctOfMakespan).toBeGreaterThanOrEqual(0);
    expect(f.idleWhileWaiting.maxPctOfMakespan).toBeLessThanOrEqual(100);
    expect(f.idleWhileWaiting.meanPctOfMakespan).toBeLessThanOrEqual(f.idleWhileWaiting.maxPctOfMakespan);
  });

  it("times heartbeats at the agents", () => {
    expect(f.heartbeatMs.samples).toBeGreaterThanOrEqual(4);
    expect(f.heartbeatMs.p50).toBeGreaterThan(0);
    expect(f.heartbeatMs.p50).toBeLessThanOrEqual(f.heartbeatMs.p95);
    expect(f.heartbeatMs.p95).toBeLessThanOrEqual(f.heartbeatMs.p99);
    expect(f.heartbeatMs.p99).toBeLessThanOrEqual(f.heartbeatMs.max);
  });
});
