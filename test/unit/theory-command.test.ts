import { runCommand } from "@oclif/test";
import { describe, expect, it } from "vitest";
import type { TheoryResult } from "../../cli/commands/theory.js";

describe("specgrid theory", () => {
  it("--alpha 0.8 --c 0.05 --json: best K 8, expected speedup 3.09 over K = 1..16", async () => {
    const { stdout, error } = await runCommand(["theory", "--alpha", "0.8", "--c", "0.05", "--json"]);
    expect(error).toBeUndefined();
    const r = JSON.parse(stdout) as TheoryResult;
    expect(r.k_max).toBe(16);
    expect(r.rows.map((x) => x.k)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(r.best_k).toBe(8);
    expect(r.best_speedup).toBeCloseTo(3.09, 2);
    // K = 1 breaks even at α = c (hand: (1 + α) / (1 + c) = 1).
    expect(r.rows[0]?.break_even_alpha).toBeCloseTo(0.05, 10);
    expect(r.rows[7]?.tokens_per_step).toBeCloseTo((1 - 0.8 ** 9) / 0.2, 12);
  });

  it("prints a table with the best K marked", async () => {
    const { stdout, error } = await runCommand(["theory", "--alpha", "0.6", "--c", "0.2", "--k-max", "6"]);
    expect(error).toBeUndefined();
    expect(stdout).toMatch(/tokens\/step\s+speedup\s+break-even α/);
    expect(stdout.split("\n").filter((l) => /^\s+\d+\s/.test(l))).toHaveLength(6);
    expect(stdout).toMatch(/← best/);
  });

  it("says when speculation never pays", async () => {
    const { stdout } = await runCommand(["theory", "--alpha", "0.1", "--c", "1.5", "--k-max", "4"]);
    expect(stdout).toMatch(/does not pay/);
    expect(stdout).toMatch(/never/);
  });

  it.each([
    [["--alpha", "1.2", "--c", "0.1"], /--alpha must be between 0 and 1/],
    [["--alpha", "x", "--c", "0.1"], /--alpha must be a number/],
    [["--alpha", "0.5", "--c", "-1"], /--c must be between 0/],
  ])("rejects %j with exit 2", async (argv, message) => {
    const { error } = await runCommand(["theory", ...argv]);
    expect(error?.message).toMatch(message);
    expect(error?.oclif?.exit).toBe(2);
  });
});
