// results pull against a real nats-server: durable per database, resume, redelivery stored once, a fetch
// cut short by a stalled server loses nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { RetentionPolicy, StorageType, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { RESULTS_STREAM, RESULTS_SUBJECTS, resultMsgId, resultsSubject } from "../../core/nats-names.js";
import { encodeCellResult } from "../../core/wire/index.js";
import type { CellResult } from "../../core/metrics.js";
import { openStore } from "../../cli/store/open-store.js";
import { pullResults, type PullProgress } from "../../cli/workflows/pull-results.js";
import { fakeSweep } from "../support/fake-results.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";
import { waitFor } from "./runtime-cluster.js";

let nats: TestNats;
let nc: NatsConnection;
let dir: string;

async function publish(results: CellResult[], withMsgId = true): Promise<void> {
  const js = jetstream(nc);
  for (const r of results) {
    await js.publish(
      resultsSubject(r.sweepId),
      encodeCellResult(r),
      withMsgId ? { msgID: resultMsgId(r.sweepId, r.cellId, r.hostId) } : {},
    );
  }
}

beforeAll(async () => {
  nats = await startTestNats({ native: true });
  nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: RESULTS_STREAM,
    subjects: [RESULTS_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
  });
  dir = mkdtempSync(path.join(tmpdir(), "specgrid-pull-"));
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("pullResults", () => {
  const data = fakeSweep({
    seed: 3,
    sweepId: "sw-pull",
    repeats: 1,
    prompts: 1,
    temperatures: [0, 0.5, 1],
    concurrency: [],
  });
  const first = data.results.slice(0, 30);
  const second = data.results.slice(30);

  it("resumes where the previous pull stopped, stores redeliveries once, and a second database pulls independently", async () => {
    const a = openStore(path.join(dir, "a.sqlite"));
    const b = openStore(path.join(dir, "b.sqlite"));
    try {
      expect(second.length).toBeGreaterThan(10);
      await publish(first);
      const progress: number[] = [];
      const p1 = await pullResults({
        natsServers: nats.url,
        store: a,
        idleMs: 300,
        batchSize: 16,
        onProgress: (p) => progress.push(p.received),
      });
      expect(p1).toMatchObject({
        received: 30,
        inserted: 30,
        duplicates: 0,
        undecodable: 0,
        sweepIds: ["sw-pull"],
      });
      expect(progress.at(-1)).toBe(30);

      // The same results again without a message id (a producer retry the stream cannot dedupe), plus new ones.
      await publish(first.slice(0, 5), false);
      await publish(second);
      nc.publish(resultsSubject("sw-pull"), new TextEncoder().encode("not a protobuf CellResult"));
      const p2 = await pullResults({ natsServers: nats.url, store: a, idleMs: 300 });
      expect(p2.durable).toBe(p1.durable);
      expect(p2).toMatchObject({ received: 5 + second.length + 1, inserted: second.length, duplicates: 5 });
      expect(p2.undecodable).toBe(1);
      expect(a.results("sw-pull")).toHaveLength(data.results.length);

      // Nothing new: a third pull reads nothing.
      expect((await pullResults({ natsServers: nats.url, store: a, idleMs: 300 })).received).toBe(0);

      const pb = await pullResults({ natsServers: nats.url, store: b, sweepId: "sw-pull", idleMs: 300 });
      expect(pb.durable).not.toBe(p1.durable);
      expect(pb.inserted).toBe(data.results.length);
      expect(b.results("sw-pull").map((r) => r.cellId + r.hostId)).toEqual(
        a.results("sw-pull").map((r) => r.cellId + r.hostId),
      );
    } finally {
      a.close();
      b.close();
    }
  });

  it("says what to check when the server has no results stream or cannot be reached", async () => {
    const s = openStore(path.join(dir, "c.sqlite"));
    try {
      await expect(pullResults({ natsServers: "nats://127.0.0.1:1", store: s, idleMs: 100 })).rejects.toThrow(
        /cannot reach NATS.*--nats/,
      );
    } finally {
      s.close();
    }
  });

  // A live pull across a stalled nats-server: the server is SIGSTOPped while a fetch holds results, the
  // fetch ends in "heartbeats missed", and what it had delivered is stored, not left pending on the durable
  // for the 60 s ack wait. `specgrid run` follows a sweep with a live pull, then drains with a short final
  // pull that stops once nothing more comes: with the fetched batch dropped, that final pull missed it, and
  // a run on a loaded CI machine reported a sweep complete with one shard's 10 results absent.
  it("a fetch cut short by a stalled server keeps what it delivered: the live pull goes on and the final pull finds every result stored", async () => {
    const sweepId = "sw-stall";
    const { results } = fakeSweep({ seed: 5, sweepId, repeats: 1, prompts: 1, concurrency: [] });
    expect(results.length).toBeGreaterThanOrEqual(20);
    const store = openStore(path.join(dir, "run.sqlite"));
    const stored = (): number => store.listSweeps(sweepId)[0]?.results ?? 0;
    try {
      await publish(results.slice(0, 5));
      let last: PullProgress | undefined;
      const follow = new AbortController();
      // as `specgrid run` follows a sweep (run-embedded.ts)
      const following = pullResults({
        natsServers: nats.url,
        store,
        sweepId,
        idleMs: 500,
        follow: true,
        signal: follow.signal,
        onProgress: (p) => (last = p),
      });
      await waitFor(
        () => stored() === 5,
        10_000,
        () => "the first 5 results",
      );

      // A batch arrives and the server stops before the fetch holding it ends: no expiry status and no
      // heartbeat reaches the client, which gives the fetch up after two missed 500 ms heartbeats. The stop
      // can miss (the fetch may have ended just before it); each try adds a batch until one fetch stalled.
      let sent = 5;
      for (let attempt = 0; attempt < 4 && (last?.stalled ?? 0) === 0; attempt++) {
        await publish(results.slice(sent, sent + 5));
        sent += 5;
        await new Promise((r) => setTimeout(r, 60));
        await nats.pause!(2_000);
        await waitFor(
          () => stored() === sent,
          10_000,
          () => `the ${sent} results published so far`,
        );
      }
      expect(last?.stalled ?? 0, "a fetch ended in missed heartbeats").toBeGreaterThan(0);

      // the live pull is still running: later results come in through it
      await publish(results.slice(sent));
      await waitFor(
        () => stored() === results.length,
        10_000,
        () => "every result through the live pull",
      );
      follow.abort();
      await following;

      // and run's final pull (idle 500 ms) finds nothing left behind on the durable
      const started = Date.now();
      const final = await pullResults({ natsServers: nats.url, store, sweepId, idleMs: 500 });
      expect(final.received).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(stored()).toBe(results.length);
      const info = await (await jetstreamManager(nc)).consumers.info(RESULTS_STREAM, final.durable);
      expect(info.num_ack_pending).toBe(0);
    } finally {
      store.close();
    }
  }, 60_000);
});
