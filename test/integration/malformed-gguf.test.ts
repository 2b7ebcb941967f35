// Malformed models as a user (or an attacker) hands them over: a header with absurd counts, a file cut
// short in its header or in its tensor data. Each is refused quickly, by file name, by every command that
// reads a model: before this, `cell run --target` spun forever on the first and `models inspect` passed
// the others (exit 0, negative weight size).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGgufFacts } from "../../core/gguf/read-gguf-facts.js";
import { getModelFamily } from "../support/model-family.js";
import { runCli } from "../support/run-cli.js";

let dir: string;
let files: Record<"absurd" | "cut1000" | "cutHeader" | "cutData", string>;

function ggufPreamble(tensors: bigint, kvs: bigint): Buffer {
  const b = Buffer.alloc(24);
  b.write("GGUF", 0, "latin1");
  b.writeUInt32LE(3, 4);
  b.writeBigUInt64LE(tensors, 8);
  b.writeBigUInt64LE(kvs, 16);
  return b;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-malformed-gguf-"));
  const target = await readFile((await getModelFamily()).target);
  files = {
    absurd: path.join(dir, "absurd-counts.gguf"),
    cut1000: path.join(dir, "cut-1000.gguf"),
    cutHeader: path.join(dir, "cut-header.gguf"),
    cutData: path.join(dir, "cut-data.gguf"),
  };
  await writeFile(files.absurd, ggufPreamble(2n ** 40n, 2n ** 40n));
  await writeFile(files.cut1000, target.subarray(0, 1000));
  await writeFile(files.cutHeader, target.subarray(0, 10_000));
  await writeFile(files.cutData, target.subarray(0, Math.floor(target.length / 2)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("malformed GGUF files", () => {
  it.each([
    ["absurd-counts.gguf", "absurd", /claims 1099511627776 tensors and 1099511627776 metadata keys/],
    ["cut-1000.gguf", "cut1000", /more than a file of 1000 bytes can hold/],
    ["cut-header.gguf", "cutHeader", /tensor data would start at byte \d+, past the end of the file/],
    ["cut-data.gguf", "cutData", /tensor blk\.\d+\.\S+ \(F32, \d+ elements\) ends at byte \d+, past the end/],
  ] as const)("readGgufFacts refuses %s, naming it and why", async (name, key, why) => {
    const err = await readGgufFacts(files[key]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "GGUF_UNREADABLE" });
    expect((err as Error).message).toContain(name);
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).toMatch(/copy or download it again/);
  });

  it("cell run --target with absurd header counts exits 2 at once, naming the file", async () => {
    const run = await runCli(["cell", "run", "--target", files.absurd, "--n-predict", "8"], {
      timeoutMs: 60_000,
    });
    expect(run.timedOut, "cell run hung on a header with 2^40 tensors").toBe(false);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/absurd-counts\.gguf: not a readable GGUF file/);
  });

  it("cell run --target on a model cut short in its tensor data exits 2, naming the tensor", async () => {
    const run = await runCli(["cell", "run", "--target", files.cutData, "--n-predict", "8"]);
    expect(run.timedOut).toBe(false);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/cut-data\.gguf: not a readable GGUF file \(tensor blk\./);
  });

  it("models inspect refuses a model cut to 1,000 bytes (it used to print 'weights -0.01 MiB', exit 0)", async () => {
    const run = await runCli(["models", "inspect", files.cut1000]);
    expect(run.status, run.stdout).toBe(2);
    expect(run.stderr).toMatch(/cut-1000\.gguf: not a readable GGUF file/);
    expect(run.stdout).not.toMatch(/weights -/);
  });
});
