// The coordinator's result copies do not outlive it: a coordinator killed before close() leaves its temp dir
// behind, and the next one removes the dirs of coordinators that are gone (not those of running ones, nor
// anything else in the temp root); a directory it is given loses the copies an earlier run left there.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { ResultSpill } from "../../services/coordinator/result-spill.js";

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

/** A pid that was a process a moment ago: a child that exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.once("exit", r));
  return child.pid!;
}

it("removes the temp dirs of coordinators that are gone, keeps running ones' and what is not its own", async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "specgrid-spill-root-"));
  const dead = `specgrid-coordinator-results-${await deadPid()}-AbC123`;
  const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
  try {
    const running = `specgrid-coordinator-results-${sleeper.pid}-XyZ789`;
    for (const d of [dead, running, "unrelated"]) {
      await mkdir(path.join(root, d));
      await writeFile(path.join(root, d, "sw-1.results"), "copy");
    }
    const spill = new ResultSpill(undefined, root);
    const ref = await spill.append("sw-2", new Uint8Array([1, 2, 3]));
    const mine = (await readdir(root)).find((n) =>
      n.startsWith(`specgrid-coordinator-results-${process.pid}-`),
    );
    expect(mine).toBeDefined();
    expect((await readdir(root)).sort()).toEqual([mine, running, "unrelated"].sort());
    expect([...(await spill.read("sw-2", ref))!]).toEqual([1, 2, 3]);
    await spill.close();
    expect((await readdir(root)).sort()).toEqual([running, "unrelated"].sort());
  } finally {
    sleeper.kill();
  }
});

it("a directory it is given loses the copies left there by an earlier coordinator, and nothing else", async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "specgrid-spill-own-"));
  await writeFile(path.join(root, "sw-ended.results"), "stale copy");
  await writeFile(path.join(root, "notes.txt"), "not a copy");
  const spill = new ResultSpill(root);
  await spill.append("sw-now", new Uint8Array([9]));
  expect((await readdir(root)).sort()).toEqual(["notes.txt", "sw-now.results"]);
  await spill.close();
  expect(await readdir(root)).toEqual(["notes.txt"]);
});
