import { describe, expect, it } from "vitest";
import { estimateModelMemory, estimatePairMemory } from "../../core/memory/estimate-memory.js";

const MIB = 1024 * 1024;

// Shapes written out so the expected values below can be checked by hand.
const tiny = {
  tensorDataBytes: 3 * MIB,
  blockCount: 4,
  embeddingLength: 128,
  feedForwardLength: 256,
  headCountKv: 4,
  keyLength: 32,
  valueLength: 32,
  vocab: { size: 735 },
};
// Llama-3-8B-like: GQA with 8 KV heads of 128.
const big = {
  tensorDataBytes: 4_600 * MIB,
  blockCount: 32,
  embeddingLength: 4096,
  feedForwardLength: 14336,
  headCountKv: 8,
  keyLength: 128,
  valueLength: 128,
  vocab: { size: 128256 },
};

describe("estimateModelMemory", () => {
  it.each([
    // KV = layers × ctx × parallel × kvHeads × (k+v) × bytes; compute = 512 × (4·embd + 2·ff + vocab) × 4
    ["tiny, ctx 1024, f16", tiny, { ctx: 1024, parallel: 1 }, 3, 2, (512 * (512 + 512 + 735) * 4) / MIB],
    ["tiny, ctx 2048, f16", tiny, { ctx: 2048, parallel: 1 }, 3, 4, (512 * 1759 * 4) / MIB],
    [
      "tiny, 4 slots of 256, f32",
      tiny,
      { ctx: 256, parallel: 4, kvType: "f32" as const },
      3,
      4,
      (512 * 1759 * 4) / MIB,
    ],
    // q8_0: 34 bytes per 32 elements instead of f16's 64: 2 MiB × 34/64
    [
      "tiny, ctx 1024, q8_0",
      tiny,
      { ctx: 1024, parallel: 1, kvType: "q8_0" as const },
      3,
      (2 * 34) / 64,
      (512 * 1759 * 4) / MIB,
    ],
    ["tiny, ubatch 64", tiny, { ctx: 1024, parallel: 1, ubatch: 64 }, 3, 2, (64 * 1759 * 4) / MIB],
    // 32 × 8192 × 8 × 256 × 2 bytes = 1024 MiB; 512 × (16384 + 28672 + 128256) × 4 bytes = 338.5 MiB
    ["8B, ctx 8192, f16", big, { ctx: 8192, parallel: 1 }, 4600, 1024, 338.5],
  ])("%s", (_name, facts, opts, weightsMib, kvMib, computeMib) => {
    const m = estimateModelMemory(facts, opts);
    expect(m.weightsMib).toBeCloseTo(weightsMib, 6);
    expect(m.kvCacheMib).toBeCloseTo(kvMib, 6);
    expect(m.computeAllowanceMib).toBeCloseTo(computeMib, 6);
    expect(m.totalMib).toBeCloseTo(weightsMib + kvMib + computeMib, 6);
  });

  it("stays within 10% above llama.cpp's measured compute buffer on the reference models", () => {
    // llama.cpp at ubatch 512: 3.26 MiB (target, n_embd 128), 2.01 MiB (n_embd 64, n_ff 128, vocab 535)
    expect(estimateModelMemory(tiny, { ctx: 1024, parallel: 1 }).computeAllowanceMib).toBeGreaterThanOrEqual(
      3.26,
    );
    expect(estimateModelMemory(tiny, { ctx: 1024, parallel: 1 }).computeAllowanceMib).toBeLessThan(
      3.26 * 1.1,
    );
    const small = {
      ...tiny,
      blockCount: 2,
      embeddingLength: 64,
      feedForwardLength: 128,
      keyLength: 16,
      valueLength: 16,
      vocab: { size: 535 },
    };
    expect(estimateModelMemory(small, { ctx: 1024, parallel: 1 }).computeAllowanceMib).toBeGreaterThanOrEqual(
      2.01,
    );
    expect(estimateModelMemory(small, { ctx: 1024, parallel: 1 }).kvCacheMib).toBeCloseTo(0.5, 6); // llama.cpp: 0.50 MiB
  });

  it("falls back to 4 × embedding when the feed-forward width is unknown", () => {
    const { feedForwardLength: _ff, ...noFf } = tiny;
    expect(estimateModelMemory(noFf, { ctx: 64, parallel: 1 }).computeAllowanceMib).toBeCloseTo(
      (512 * (512 + 1024 + 735) * 4) / MIB,
      6,
    );
  });

  it.each([
    ["ctx 0", { ctx: 0, parallel: 1 }, /ctx must be a positive integer/],
    ["parallel 1.5", { ctx: 8, parallel: 1.5 }, /parallel must be a positive integer/],
    ["ubatch -1", { ctx: 8, parallel: 1, ubatch: -1 }, /ubatch must be a positive integer/],
  ])("rejects %s", (_name, opts, message) => {
    expect(() => estimateModelMemory(tiny, opts)).toThrow(message);
  });
});

describe("estimatePairMemory", () => {
  it("adds the draft's total to the target's and reports the overhead against the target alone", () => {
    const draft = { ...tiny, tensorDataBytes: 1 * MIB, blockCount: 2 };
    const opts = { ctx: 1024, parallel: 1 };
    const p = estimatePairMemory(tiny, draft, opts);
    const compute = (512 * 1759 * 4) / MIB;
    const targetTotal = 3 + 2 + compute;
    const draftTotal = 1 + 1 + compute;
    expect(p.targetAloneMib).toBeCloseTo(targetTotal, 6);
    expect(p.withDraftMib).toBeCloseTo(targetTotal + draftTotal, 6);
    expect(p.overheadMib).toBeCloseTo(draftTotal, 6);
    expect(p.overheadPct).toBeCloseTo((100 * draftTotal) / targetTotal, 6);
    expect(p.target).toEqual(estimateModelMemory(tiny, opts));
    expect(p.draft).toEqual(estimateModelMemory(draft, opts));
  });
});
