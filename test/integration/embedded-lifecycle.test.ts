// `specgrid run` (the embedded stack) as a user runs it, ended the hard ways: SIGKILL of the CLI and a second
// Ctrl-C. Its nats-server (own process group) must not outlive it, the database must hold the results done
// so far (pulled while the sweep runs) with the sweep's definition, and the server must refuse clients that
// lack its generated token, which never appears on its command line.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelDirWith, waitFor } from "./runtime-cluster.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

interface RunProcess {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function startRun(manifest: string, models: string, out: string): RunProcess {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, "bin/dev.js"), "run", manifest, "--models", models, "--out", out],
    {
      cwd: repoRoot,
      // its own group, as a shell gives a foreground job: a "Ctrl-C" is a SIGINT to that group
      detached: true,
      env: { ...process.env, NODE_ENV: "specgrid-dev" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let text = "";
  child.stdout?.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, out: () => text, exited };
}

/** Counts in the run's database, read-only (null while it does not exist yet). */
function dbCounts(db: string): { results: number; cells: number } | null {
  if (!existsSync(db)) return null;
  try {
    const sqlite = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const one = (sql: string): number => (sqlite.prepare(sql).get() as { n: number }).n;
      return {
        results: one("SELECT count(*) AS n FROM results"),
        cells: one("SELECT count(*) AS n FROM cells"),
      };
    } finally {
      sqlite.close();
    }
  } catch {
    return null; // still being created
  }
}

/** Pids of the nats-server processes whose parent is `parent` (from /proc). */
async function natsChildren(parent: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const st = await readFile(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid ...
      const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(st);
      if (m?.[1] === "nats-server" && Number(m[2]) === parent) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Whether the process runs (a zombie, reaped by nobody in a container, counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("the embedded stack ended hard", () => {
  let dir: string;
  let models: string;
  let manifest: string;
  const leftovers: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-embedded-"));
    models = await modelDirWith(dir, "m", ["target", "draft-n0"]);
    manifest = path.join(dir, "long.json");
    // long enough to be killed in the middle: 2 prompts x 3 K x 12 repeats, each with its baseline
    await writeFile(
      manifest,
      JSON.stringify({
        name: "long",
        models: { target: { file: "target.gguf" }, "draft-n0": { file: "draft-n0.gguf" } },
        pairs: [{ target: "target", draft: "draft-n0" }],
        prompts: ["Once upon a time", "The quick brown fox"],
        sweep: { k: [1, 2, 3], temperature: [0], n_predict: 16, repeats: 12, seed: 1 },
        baseline: true,
        placement: "spread",
        engine: "in-process",
        llama: { gpu_layers: 0, ctx: 256, threads: 1 },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    for (const pid of leftovers) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Starts a run and waits until its database holds `n` results; returns it and its nats-server pid. */
  async function runUntil(out: string, n: number): Promise<{ run: RunProcess; natsPid: number; db: string }> {
    const run = startRun(manifest, models, out);
    const db = path.join(out, "specgrid.sqlite");
    await waitFor(
      () => Promise.resolve((dbCounts(db)?.results ?? 0) >= n),
      120_000,
      () => `no ${n} results in ${db} yet:\n${run.out().slice(-3000)}`,
    );
    const [natsPid] = await natsChildren(run.child.pid!);
    expect(natsPid, "the run's nats-server").toBeDefined();
    leftovers.push(natsPid!);
    return { run, natsPid: natsPid!, db };
  }

  it("SIGKILL of the CLI: nats-server goes too, the database keeps the results done so far; NATS wants the token", async () => {
    const { run, natsPid, db } = await runUntil(path.join(dir, "killed"), 3);

    // the embedded server refuses a client without the token, and the token is not on its command line
    const cmdline = (await readFile(`/proc/${natsPid}/cmdline`, "utf8")).split("\0");
    const portsDir = cmdline[cmdline.indexOf("--ports_file_dir") + 1]!;
    const ports = JSON.parse(await readFile(path.join(portsDir, `nats-server_${natsPid}.ports`), "utf8")) as {
      nats: string[];
    };
    const config = cmdline[cmdline.indexOf("-c") + 1]!;
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    const token = /token: "([0-9a-f]+)"/.exec(await readFile(config, "utf8"))?.[1];
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    expect(cmdline.join(" ")).not.toContain(token!);
    await expect(connect({ servers: ports.nats[0]!, reconnect: false })).rejects.toThrow(/Authorization/i);
    const withToken = await connect({ servers: ports.nats[0]!, token: token!, reconnect: false });
    await withToken.close();

    const before = dbCounts(db)!.results;
    process.kill(run.child.pid!, "SIGKILL");
    await run.exited;
    await waitFor(
      () => Promise.resolve(!alive(natsPid)),
      15_000,
      () => `nats-server ${natsPid} outlived the SIGKILLed CLI`,
    );
    const after = dbCounts(db)!;
    expect(after.results).toBeGreaterThanOrEqual(before);
    expect(after.cells).toBeGreaterThan(after.results); // the definition is there, and the sweep was cut short
  }, 180_000);

  it("a second Ctrl-C: the CLI exits at once, nats-server with it, the results so far stay", async () => {
    const { run, natsPid, db } = await runUntil(path.join(dir, "interrupted"), 2);
    process.kill(-run.child.pid!, "SIGINT");
    await new Promise((r) => setTimeout(r, 300));
    process.kill(-run.child.pid!, "SIGINT");
    const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r("hung"), 20_000))]);
    expect(code, run.out().slice(-2000)).not.toBe("hung");
    await waitFor(
      () => Promise.resolve(!alive(natsPid)),
      15_000,
      () => `nats-server ${natsPid} outlived the interrupted CLI`,
    );
    expect(dbCounts(db)!.results).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
