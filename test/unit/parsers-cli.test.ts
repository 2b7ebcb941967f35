// `specgrid parse` end to end through oclif, on recorded captures: the --json shape (snake_case
// keys, truncated, missing, errors), the llama-server response path, and bad-input exits.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "@oclif/test";
import { afterAll, describe, expect, it } from "vitest";

const F = join(import.meta.dirname, "..", "fixtures", "llama-cpp");
const tmp = mkdtempSync(join(tmpdir(), "specgrid-parse-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function parseJson(argv: string[]): Promise<Record<string, unknown>> {
  const { stdout, error } = await runCommand(["parse", ...argv, "--json"]);
  expect(error).toBeUndefined();
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("specgrid parse", () => {
  it("prints speculative metrics with snake_case keys", async () => {
    const out = await parseJson([
      "llama-speculative-simple",
      "--stderr",
      join(F, "llama-speculative-simple-n05-k4-t0.stderr"),
      "--stdout",
      join(F, "llama-speculative-simple-n05-k4-t0.stdout"),
    ]);
    // figures as printed in the capture: n_drafted = 81, n_accept = 45, accept = 55.556%, decoded 66 at 115.995 t/s
    expect(out).toMatchObject({
      tool: "llama-speculative-simple",
      n_drafted: 81,
      n_accept: 45,
      accept_rate: 0.55556,
      n_decoded: 66,
      decode_tps: 115.995,
      prompt_tps: 947.633,
      truncated: false,
      missing: [],
      errors: [],
    });
    expect(Object.keys(out).filter((k) => /[A-Z]/.test(k))).toEqual([]);
  });

  it("flags a truncated capture and lists what is missing", async () => {
    const out = await parseJson([
      "llama-speculative",
      "--stderr",
      join(F, "derived", "llama-speculative-n05-k4-t0-lv4.truncated.stderr"),
    ]);
    expect(out.truncated).toBe(true);
    expect(out.missing).toEqual(["n_drafted", "n_accept", "accept_rate", "load_ms"]);
    expect(out).not.toHaveProperty("n_drafted");
  });

  it("reports an error kind instead of figures for a failed run", async () => {
    const out = await parseJson([
      "llama-speculative",
      "--stderr",
      join(F, "llama-speculative-removed-draft-max.stderr"),
    ]);
    expect(out.truncated).toBe(false);
    expect((out.errors as { kind: string; message: string }[]).map((e) => e.kind)).toEqual(["removed-flag"]);
    expect((out.errors as { message: string }[])[0]?.message).toContain("--draft-max");
  });

  it("reads a llama-server completion response and its log", async () => {
    const out = await parseJson([
      "llama-server",
      "--response",
      join(F, "server", "spec-np1-cmpl-t0.json"),
      "--stderr",
      join(F, "server", "vocab-mismatch.stderr"),
    ]);
    expect(out).toMatchObject({
      tool: "llama-server",
      endpoint: "completion",
      n_drafted: 338,
      n_accept: 18,
      n_decoded: 64,
      speculation_engaged: true,
      stop_type: "limit",
    });
    expect((out.errors as { kind: string }[]).map((e) => e.kind)).toEqual(["vocab-mismatch"]);
  });

  it("reads per-task timings from a llama-server log alone", async () => {
    const out = await parseJson(["llama-server", "--stderr", join(F, "server", "spec-np4.stderr")]);
    expect(out).toMatchObject({
      listening_url: "http://127.0.0.1:60451",
      draft_model_loaded: true,
      truncated: false,
    });
    const tasks = out.tasks as { slot_id: number; n_drafted: number; n_accept: number }[];
    expect(tasks).toHaveLength(4);
    // slot 2's line: draft acceptance = 0.13924 (   22 accepted /   158 generated)
    expect(tasks.find((t) => t.slot_id === 2)).toMatchObject({ n_accept: 22, n_drafted: 158 });
  });

  it("recognises a /slots body and says speculation is off", async () => {
    const out = await parseJson(["llama-server", "--response", join(F, "server", "spec-notype-slots.json")]);
    expect(out).toMatchObject({ endpoint: "slots", speculation_engaged: false });
    expect((out.slots as { speculative: boolean }[])[0]?.speculative).toBe(false);
  });

  it("parses llama-bench jsonl rows and batched-bench with an expected row count", async () => {
    const bench = await parseJson(["llama-bench", "--stdout", join(F, "llama-bench-o-jsonl.stdout")]);
    expect((bench.rows as { test: string; avg_ts: number }[]).map((r) => [r.test, r.avg_ts])).toEqual([
      ["pp64", 597.620528],
      ["tg32", 1187.038129],
    ]);
    const batched = await parseJson([
      "llama-batched-bench",
      "--stdout",
      join(F, "derived", "llama-batched-bench-md.truncated.stdout"),
      "--expected-rows",
      "6",
    ]);
    expect(batched.truncated).toBe(true);
    expect(batched.rows).toHaveLength(5);
  });

  it("prints a human summary without --json", async () => {
    const { stdout, error } = await runCommand([
      "parse",
      "llama-parallel",
      "--stderr",
      join(F, "llama-parallel-np4-ns8.stderr"),
    ]);
    expect(error).toBeUndefined();
    expect(stdout).toMatch(/n_decoded\s+256/);
    expect(stdout).toMatch(/truncated\s+no/);
  });

  it.each([
    [["llama-speculative"], /nothing to parse/],
    [["llama-bench", "--response", "x.json"], /--response is for llama-server/],
    [["llama-completion", "--stderr", "/nonexistent/run.stderr"], /cannot read the file \(ENOENT\)/],
    [["llama-nonsense", "--stderr", "x"], /Expected llama-nonsense to be one of/],
  ])("rejects bad input %j", async (argv, message) => {
    const { error } = await runCommand(["parse", ...argv]);
    expect(error?.message).toMatch(message);
    expect(error?.oclif?.exit).toBe(2);
  });

  it("parses a response file written by hand", async () => {
    const file = join(tmp, "cut.json");
    writeFileSync(file, '{"content":"hi","timings":{"predicted_n":3');
    const out = await parseJson(["llama-server", "--response", file, "--endpoint", "completion"]);
    expect(out.truncated).toBe(true);
    expect(out.missing).toContain("n_decoded");
  });
});
