// Inputs are size-checked before they are read: a 50 MB manifest took 1.9 GB (and crashed the YAML parser)
// before it was refused, `parse` read 30 MB of random bytes into 2.4 GB for 10 s and then exited 0 with
// every figure missing. Real files (sparse, so they cost no disk), FIFOs, and the CLI as a child process.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManifestError } from "../../core/errors.js";
import { DEFAULT_MAX_MANIFEST_BYTES, loadManifest } from "../../core/manifest/load-manifest.js";
import { runCli } from "../support/run-cli.js";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "specgrid-input-caps-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A file of `bytes` bytes that starts with `head` and takes no disk (a hole after the head). */
function sparse(name: string, bytes: number, head = ""): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, head);
  fs.truncateSync(p, bytes);
  return p;
}

function fifo(name: string): string | undefined {
  const p = path.join(dir, name);
  try {
    execFileSync("mkfifo", [p]);
    return p;
  } catch {
    return undefined;
  }
}

describe("manifest size", () => {
  it("a 50 MB manifest is refused from its size, naming it and the fix", async () => {
    const file = sparse("huge.yaml", 50_000_000, "name: huge\nprompts:\n  - a\n");
    const err = await loadManifest(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message).toContain(
      `the manifest is 50000000 bytes, above the limit of ${DEFAULT_MAX_MANIFEST_BYTES}`,
    );
    expect((err as Error).message).toMatch(/move long prompt lists into a prompt file/);
  });

  it("a FIFO as manifest is refused without blocking on it", async () => {
    const p = fifo("manifest.fifo");
    if (p === undefined) return expect.fail("mkfifo is missing");
    await expect(loadManifest(p)).rejects.toThrow(/not a regular file/);
  });

  it("a manifest in another encoding is refused with its line", async () => {
    const file = path.join(dir, "latin1.yaml");
    fs.writeFileSync(
      file,
      Buffer.concat([Buffer.from("name: x\n# caf"), Buffer.from([0xe9]), Buffer.from("\n")]),
    );
    const err = (await loadManifest(file).catch((e: unknown) => e)) as ManifestError;
    expect(err.issues[0]).toMatchObject({ line: 2, message: expect.stringMatching(/not valid UTF-8/) });
  });

  it("validate refuses the 50 MB manifest with exit 2, as a real process", async () => {
    const file = sparse("huge-cli.yaml", 50_000_000, "name: huge\n");
    const run = await runCli(["validate", file]);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/huge-cli\.yaml.*the manifest is 50000000 bytes, above the limit/);
  });
});

describe("parse input", () => {
  it("refuses a 30 MB file before reading it, saying how to cut it", async () => {
    const file = sparse("huge.stderr", 30_000_000);
    const run = await runCli(["parse", "llama-speculative", "--stderr", file]);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain(`--stderr ${file} is 30000000 bytes, above the 8 MiB parse reads`);
    expect(run.stderr).toMatch(/tail -c 4M/);
  });

  it("exits 1 when nothing in the file parses (random bytes), and says what it expected", async () => {
    const file = path.join(dir, "random.stderr");
    fs.writeFileSync(file, randomBytes(64 * 1024));
    const run = await runCli(["parse", "llama-speculative", "--stderr", file]);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /no llama-speculative figures in --stderr .*random\.stderr: nothing in it parses/,
    );
  });

  it("a FIFO as input is refused without blocking", async () => {
    const p = fifo("stderr.fifo");
    if (p === undefined) return expect.fail("mkfifo is missing");
    const run = await runCli(["parse", "llama-completion", "--stderr", p]);
    expect(run.timedOut).toBe(false);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/stderr\.fifo: not a regular file/);
  });
});
