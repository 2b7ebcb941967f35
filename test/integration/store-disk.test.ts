// The results database on bad paths and bad disks, with real files: read commands never create a
// database (a mistyped --db used to leave an empty one and its folders behind, then say "no sweeps yet"),
// a folder as --db is named, and a full disk (a real tmpfs filled to the last byte) gives a message naming
// the file and the fix, with nothing acknowledged to NATS before it is stored.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { RetentionPolicy, StorageType, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { runCommand } from "@oclif/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { openStore } from "../../cli/store/open-store.js";
import { pullDurableName, pullResults } from "../../cli/workflows/pull-results.js";
import { RESULTS_STREAM, RESULTS_SUBJECTS, resultMsgId, resultsSubject } from "../../core/nats-names.js";
import { encodeCellResult } from "../../core/wire/index.js";
import { fakeSweep } from "../support/fake-results.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";
import { runCli } from "../support/run-cli.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "specgrid-store-disk-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("read commands never create a database", () => {
  it.each([
    ["results list", ["results", "list"]],
    ["results export", ["results", "export", "--format", "csv"]],
    ["report", ["report", "sw-x", "--out", path.join(tmpdir(), "specgrid-unused-report")]],
    ["compare", ["compare", "sw-a", "sw-b"]],
  ])("%s with a mistyped --db exits 2 and leaves no file or folder", async (_name, args) => {
    const db = path.join(dir, "typo", "nested", "resluts.sqlite");
    const { error } = await runCommand([...args, "--db", db]);
    expect(error?.oclif?.exit).toBe(2);
    expect(error?.message).toContain(`no results database at ${db} (nothing was created)`);
    expect(existsSync(path.join(dir, "typo"))).toBe(false);
  });

  it("an empty file is not taken for a database by a read command", async () => {
    const db = path.join(dir, "empty.sqlite");
    writeFileSync(db, "");
    const { error } = await runCommand(["results", "list", "--db", db]);
    expect(error?.message).toMatch(/empty\.sqlite is empty: it is not a results database yet/);
  });

  it("--db naming a folder says so (it used to fail with a bare EISDIR), as a real process", async () => {
    const folder = path.join(dir, "a-folder");
    mkdirSync(folder);
    const run = await runCli(["results", "list", "--db", folder]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${folder} is a folder, not a results database`);
    expect(run.stderr).toContain(path.join(folder, "results.sqlite"));
    expect(run.stderr).not.toMatch(/EISDIR/);
  });

  it("a path through a file names the database and the fix (it used to be a bare ENOTDIR/EEXIST)", () => {
    const file = path.join(dir, "plain-file");
    writeFileSync(file, "x");
    const db = path.join(file, "sub", "r.sqlite");
    expect(() => openStore(db)).toThrow(
      new RegExp(`could not .* the results database ${db.replace(/[/.]/g, "\\$&")} .*a part of its path`),
    );
  });
});

// A real full disk needs a filesystem we can fill: a small tmpfs (root only).
function mountTmpfs(at: string, kib: number): string | undefined {
  try {
    mkdirSync(at, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${kib}k`, "tmpfs", at], { stdio: "pipe" });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Writes a filler until the filesystem refuses another byte. */
function fillDisk(at: string): void {
  const chunk = Buffer.alloc(4096, 1);
  for (let i = 0; ; i++) {
    try {
      writeFileSync(path.join(at, `filler-${i}`), chunk);
    } catch {
      break;
    }
  }
  try {
    writeFileSync(path.join(at, "filler-last"), Buffer.alloc(1));
  } catch {
    // full to the byte
  }
}

const mnt = path.join(tmpdir(), `specgrid-store-full-${process.pid}`);
const cannotMount = process.getuid?.() === 0 ? mountTmpfs(mnt, 1024) : "needs root to mount a tmpfs";

describe.skipIf(cannotMount !== undefined)("a full disk", () => {
  let nats: TestNats;
  let nc: NatsConnection;
  beforeAll(async () => {
    nats = await startTestNats({ native: true });
    nc = await connect({ servers: nats.url });
    await (
      await jetstreamManager(nc)
    ).streams.add({
      name: RESULTS_STREAM,
      subjects: [RESULTS_SUBJECTS],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
    });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
    execFileSync("umount", [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it("pull names the file and the fix, and acks nothing it could not store", async () => {
    const data = fakeSweep({ seed: 5, sweepId: "sw-full", repeats: 3, prompts: 4, concurrency: [] });
    const js = jetstream(nc);
    for (const r of data.results)
      await js.publish(resultsSubject(r.sweepId), encodeCellResult(r), {
        msgID: resultMsgId(r.sweepId, r.cellId, r.hostId),
      });
    const db = path.join(mnt, "results.sqlite");
    const store = openStore(db);
    try {
      fillDisk(mnt);
      const err = await pullResults({ natsServers: nats.url, store, idleMs: 300 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "STORE_UNAVAILABLE" });
      const message = (err as Error).message;
      expect(message).toContain(`could not write to the results database ${db}`);
      expect(message).toMatch(/database or disk is full\): the disk holding it is full: free space there/);
      expect(message).toMatch(/None of these \d+ results was acknowledged/);
      expect(store.results("sw-full")).toHaveLength(0);
      // nothing acked: every result is still owed to this database's consumer
      const info = await (
        await jetstreamManager(nc)
      ).consumers.info(RESULTS_STREAM, pullDurableName(store.dbId));
      expect(info.ack_floor.stream_seq).toBe(0);
      expect(info.num_ack_pending + info.num_pending).toBe(data.results.length);
    } finally {
      store.close();
    }
  });

  it("opening a new database on the full disk names the file and the fix", () => {
    const db = path.join(mnt, "another.sqlite");
    let message = "";
    try {
      openStore(db).close();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(db);
    expect(message).toMatch(/free space there, or pass --db with a file on another disk/);
  });
});
