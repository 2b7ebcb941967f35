// `results pull` as a user runs it (a child process) against a real coordinator and nats-server:
// - results stored by a pull whose coordinator call failed (wrong token) still get their sweep definitions on
//   the next pull, although that pull receives nothing new;
// - a copied database (`cp a.sqlite b.sqlite`) gets a durable consumer of its own, so pulling into the copy
//   does not make the original miss results;
// - pull durables carry an inactive threshold: the server removes abandoned ones.
import { createHash } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../cli/store/open-store.js";
import { manifestForSubmit } from "../../cli/workflows/manifest-for-submit.js";
import { pullDurableName, pullResults } from "../../cli/workflows/pull-results.js";
import type { CellResult } from "../../core/metrics.js";
import { RESULTS_STREAM, resultMsgId, resultsSubject } from "../../core/nats-names.js";
import { encodeCellResult } from "../../core/wire/nats-payloads.js";
import { shardFromProto } from "../../core/wire/shard-wire.js";
import { getModelFamily } from "../support/model-family.js";
import { runCli } from "../support/run-cli.js";
import { RuntimeCluster, TOKEN, registerHolder, waitFor } from "./runtime-cluster.js";

const sha256File = async (file: string): Promise<string> =>
  createHash("sha256")
    .update(await readFile(file))
    .digest("hex");

interface PullJson {
  received: number;
  durable: string;
  synced: { sweep_id: string; cells: number }[];
}

describe("results pull", () => {
  let rt: RuntimeCluster;
  let dir: string;
  let nc: NatsConnection;
  let manifest: string;
  let holds: { file: string; sha256: string }[];

  beforeAll(async () => {
    rt = await RuntimeCluster.start({ native: true });
    dir = await mkdtemp(path.join(os.tmpdir(), "specgrid-pull-backfill-"));
    nc = await connect({ servers: rt.nats.url });
    const family = await getModelFamily();
    const [t, d] = [await sha256File(family.target), await sha256File(family.drafts.get(0)!)];
    holds = [
      { file: "target.gguf", sha256: t },
      { file: "draft.gguf", sha256: d },
    ];
    manifest = path.join(dir, "m.yaml");
    await writeFile(
      manifest,
      [
        "name: backfill",
        "models: { target: { file: target.gguf }, draft: { file: draft.gguf } }",
        "pairs: [{ target: target, draft: draft }]",
        "prompts: [Once upon a time]",
        "sweep: { k: [1, 2], temperature: [0], n_predict: 8 }",
        "engine: in-process",
      ].join("\n"),
    );
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await rt?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Submits the manifest and publishes one ok result per cell, as the holder would; waits for done. */
  async function finishedSweep(): Promise<{ sweepId: string; cells: number }> {
    // registered again each time: it never heartbeats, so it is alive only for a liveness period
    await registerHolder(rt.client, "holder", holds);
    const sub = await rt.client.submitSweep(await manifestForSubmit(manifest));
    const status = await rt.client.getSweep(sub.sweepId);
    const cells = status.shards.flatMap((s) => shardFromProto(s).shard.cells);
    const js = jetstream(nc);
    const now = new Date().toISOString();
    for (const c of cells) {
      const r: CellResult = {
        sweepId: sub.sweepId,
        cellId: c.cellId,
        hostId: "holder",
        shardId: "s",
        attempt: 1,
        engine: "in-process",
        outcome: { status: "ok" },
        startedAt: now,
        finishedAt: now,
      };
      await js.publish(resultsSubject(sub.sweepId), encodeCellResult(r), {
        msgID: resultMsgId(sub.sweepId, c.cellId, undefined),
      });
    }
    await waitFor(
      async () => (await rt.client.getSweep(sub.sweepId)).state === "done",
      20_000,
      () => `sweep ${sub.sweepId} did not finish`,
    );
    return { sweepId: sub.sweepId, cells: cells.length };
  }

  const pull = (db: string, token: string) =>
    runCli(
      [
        "results",
        "pull",
        "--db",
        db,
        "--nats",
        rt.nats.url,
        "--coordinator",
        `127.0.0.1:${rt.port}`,
        "--token",
        token,
        "--idle-ms",
        "300",
        "--json",
      ],
      { timeoutMs: 90_000 },
    );

  it("fetches the definitions of sweeps an earlier, failed pull stored results of", async () => {
    const sweep = await finishedSweep();
    const db = path.join(dir, "a.sqlite");

    const failed = await pull(db, "not-the-token-at-all");
    expect(failed.status).toBe(1);
    expect(failed.stdout + failed.stderr).toMatch(/results are stored.*run the pull again/s);

    const again = await pull(db, TOKEN);
    expect(again.status, again.stderr).toBe(0);
    const json = JSON.parse(again.stdout) as PullJson;
    expect(json.received).toBe(0); // the first pull had them acked already
    expect(json.synced).toContainEqual(
      expect.objectContaining({ sweep_id: sweep.sweepId, cells: sweep.cells }),
    );
    const store = openStore(db);
    try {
      expect(store.listSweeps(sweep.sweepId)[0]).toMatchObject({ cells: sweep.cells, results: sweep.cells });
    } finally {
      store.close();
    }
  }, 180_000);

  it("a copied database pulls through its own consumer: the original still gets every later result", async () => {
    const a = path.join(dir, "a.sqlite");
    const b = path.join(dir, "b.sqlite");
    await copyFile(a, b);
    const later = await finishedSweep();

    const intoCopy = await pull(b, TOKEN);
    expect(intoCopy.status, intoCopy.stderr).toBe(0);
    const copyJson = JSON.parse(intoCopy.stdout) as PullJson;
    const intoOriginal = await pull(a, TOKEN);
    expect(intoOriginal.status, intoOriginal.stderr).toBe(0);
    const originalJson = JSON.parse(intoOriginal.stdout) as PullJson;

    expect(copyJson.durable).not.toBe(originalJson.durable);
    expect(originalJson.received).toBe(later.cells);
    // the copy starts its own consumer from the beginning of the stream: everything, stored once
    expect(copyJson.received).toBeGreaterThanOrEqual(later.cells);
    for (const db of [a, b]) {
      const store = openStore(db);
      try {
        expect(store.listSweeps(later.sweepId)[0], db).toMatchObject({ results: later.cells });
      } finally {
        store.close();
      }
    }
  }, 180_000);

  it("gives pull durables an inactive threshold, so abandoned ones are removed by the server", async () => {
    const store = openStore(path.join(dir, "short-lived.sqlite"));
    try {
      await pullResults({ natsServers: rt.nats.url, store, idleMs: 300, consumerInactiveMs: 1_500 });
      const jsm = await jetstreamManager(nc);
      const durable = pullDurableName(store.dbId);
      expect((await jsm.consumers.info(RESULTS_STREAM, durable)).config.inactive_threshold).toBe(1_500e6);
      await waitFor(
        () =>
          jsm.consumers.info(RESULTS_STREAM, durable).then(
            () => false,
            () => true,
          ),
        20_000,
        () => `durable ${durable} is still there`,
      );
    } finally {
      store.close();
    }
  }, 60_000);
});
