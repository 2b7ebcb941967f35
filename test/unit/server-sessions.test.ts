// The llama-server session's decisions, apart from any process: which server to stop when room is needed
// (never one needed again while another is not; else the one needed last), when a server is done, and
// whether a baseline server fits beside a speculative one on a host.
import { describe, expect, it } from "vitest";
import { ServerLookahead } from "../../agents/engines/llama-server/server-lookahead.js";
import { baselineFitsBesideSpeculative } from "../../agents/engines/llama-server/servers-fit.js";
import type { MemoryFacts } from "../../core/memory/estimate-memory.js";

describe("ServerLookahead", () => {
  it("counts what each server still has to run and says when a planned cell used it up", () => {
    const la = new ServerLookahead(["b", "k2", "b", "k2", "k4", "k4"]);
    expect(la.remaining("b")).toBe(2);
    expect(la.consume("b")).toBe(true);
    expect(la.consume("b")).toBe(true);
    expect(la.remaining("b")).toBe(0);
    // a cell beyond the plan uses up nothing (the session then does not stop the server for it)
    expect(la.consume("b")).toBe(false);
    expect(la.consume("k8")).toBe(false);
    expect(la.remaining("k8")).toBe(0);
  });

  it.each([
    {
      name: "stops a server no remaining cell needs before one needed again",
      order: ["b", "k2", "k4", "b"],
      consumed: ["b", "k2"],
      running: ["b", "k2"],
      keep: "k4",
      victim: "k2",
    },
    {
      name: "of two servers both needed again, stops the one needed last (fewest restarts)",
      order: ["k2", "k4", "k6", "k2", "k4"],
      consumed: ["k2", "k4"],
      running: ["k2", "k4"],
      keep: "k6",
      victim: "k4",
    },
    {
      name: "never names the server about to be used",
      order: ["k2", "k2"],
      consumed: [],
      running: ["k2"],
      keep: "k2",
      victim: undefined,
    },
  ])("$name", ({ order, consumed, running, keep, victim }) => {
    const la = new ServerLookahead(order);
    for (const key of consumed) la.consume(key);
    expect(la.victim(running, keep)).toBe(victim);
  });

  it("on the planned grid order, a baseline server beside K blocks is never stopped while needed", () => {
    // baselines interleave with K = 2, then K = 4 and K = 6 blocks: with room for two servers, no victim
    // the session picks is ever needed again
    const order = ["b", "k2", "b", "k2", "k4", "k4", "k6", "k6"];
    const la = new ServerLookahead(order);
    const running = new Set<string>();
    let restartsNeeded = 0;
    for (const key of order) {
      if (!running.has(key)) {
        if (running.size >= 2) {
          const v = la.victim(running, key)!;
          if (la.remaining(v) > 0) restartsNeeded++;
          running.delete(v);
        }
        running.add(key);
      }
      la.consume(key);
      if (la.remaining(key) === 0) running.delete(key);
    }
    expect(restartsNeeded).toBe(0);
    expect(running.size).toBe(0);
  });
});

/** A 4-layer d=128 model as the synthetic target, and a 2-layer d=64 draft (vocab 735). */
const target: MemoryFacts = {
  tensorDataBytes: 160 * 1024 * 1024,
  blockCount: 4,
  embeddingLength: 128,
  feedForwardLength: 8192,
  headCountKv: 4,
  keyLength: 32,
  valueLength: 32,
  vocab: { size: 735 },
};
const draft: MemoryFacts = { ...target, tensorDataBytes: 1024 * 1024, blockCount: 2, embeddingLength: 64 };

describe("baselineFitsBesideSpeculative", () => {
  it("on the CPU the baseline server adds its KV cache and buffers only (weights shared by the page cache)", () => {
    const fit = baselineFitsBesideSpeculative({ target, draft, ctx: 512, onGpu: false, freeMib: 400 });
    expect(fit.fits).toBe(true);
    expect(fit.needMib).toBeLessThan(2 * 160);
  });

  it("on a GPU the target's weights count twice, so the same free memory no longer holds both", () => {
    const cpu = baselineFitsBesideSpeculative({ target, draft, ctx: 512, onGpu: false, freeMib: 300 });
    const gpu = baselineFitsBesideSpeculative({ target, draft, ctx: 512, onGpu: true, freeMib: 300 });
    expect(cpu.fits).toBe(true);
    expect(gpu.fits).toBe(false);
    expect(gpu.needMib).toBeGreaterThan(2 * 160);
  });

  it("keeps a tenth of the free memory as headroom", () => {
    const need = baselineFitsBesideSpeculative({
      target,
      draft,
      ctx: 512,
      onGpu: true,
      freeMib: 1e6,
    }).needMib;
    expect(baselineFitsBesideSpeculative({ target, draft, ctx: 512, onGpu: true, freeMib: need }).fits).toBe(
      false,
    );
    expect(
      baselineFitsBesideSpeculative({ target, draft, ctx: 512, onGpu: true, freeMib: need / 0.9 + 1 }).fits,
    ).toBe(true);
  });
});
