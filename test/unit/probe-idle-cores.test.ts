import os from "node:os";
import { describe, expect, it } from "vitest";
import { probeIdleCores, threadsFromIdleCores, type IdleCores } from "../../agents/probe/probe-idle-cores.js";

const idle = (idleCores: number, cores = 2): IdleCores => ({
  cores,
  idleCores,
  loadAvg1: 0,
  sampleMs: 1000,
  measured: true,
});

describe("threadsFromIdleCores", () => {
  it.each([
    // idle cores, engines, threads per engine
    [2, 1, 2],
    [1.95, 1, 2], // the probe's own wake-ups
    [1.5, 1, 1], // never more threads than idle cores
    [0.2, 1, 1], // a busy host still gets one thread
    [0, 1, 1],
    [2, 2, 1],
    [7.9, 2, 4],
    [7.5, 2, 3],
    [16, 3, 5],
  ])("%f idle cores, %i engine(s): %i thread(s) each", (free, engines, threads) => {
    expect(threadsFromIdleCores(idle(free, 16), engines)).toBe(threads);
    // never more threads in all than idle cores, unless the floor of one per engine forces it
    expect(threadsFromIdleCores(idle(free, 16), engines) * engines).toBeLessThanOrEqual(
      Math.max(engines, Math.floor(free + 0.1)),
    );
  });
});

describe("threadsFromIdleCores with cores kept for the run's own stack", () => {
  it.each([
    // idle cores, engines, reserved, threads per engine
    [2, 1, 1, 1], // the demo on an idle 2-core box: one core for the engine, one for coordinator, NATS, agent
    [1, 1, 1, 1], // never the last free core
    [0.3, 1, 1, 1],
    [8, 1, 1, 7],
    [8, 2, 1, 3],
    [16, 1, 0, 16],
  ])("%f idle, %i engine(s), %i reserved: %i thread(s) each", (free, engines, reserved, threads) => {
    expect(threadsFromIdleCores(idle(free, 16), engines, reserved)).toBe(threads);
  });
});

describe("probeIdleCores", () => {
  it("measures idle cores within 0..cores over the window it was given", async () => {
    const r = await probeIdleCores(200);
    expect(r.cores).toBe(os.availableParallelism());
    expect(r.sampleMs).toBe(200);
    expect(r.idleCores).toBeGreaterThanOrEqual(0);
    expect(r.idleCores).toBeLessThanOrEqual(r.cores);
    expect(r.loadAvg1).toBeGreaterThanOrEqual(0);
    expect(r.measured).toBe(process.platform === "linux");
  });

  it("falls back to the core count, marked unmeasured, where /proc cannot be read", async () => {
    const r = await probeIdleCores(10, { procDir: "/nonexistent-proc" });
    expect(r).toMatchObject({ cores: os.availableParallelism(), idleCores: os.availableParallelism() });
    expect(r.measured).toBe(false);
  });
});
