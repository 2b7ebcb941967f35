// A live pull across a stalled nats-server: the server is SIGSTOPped while a fetch holds results, the
// fetch ends in "heartbeats missed", and what it had delivered is stored, not left pending on the durable for
// the 60 s ack wait. `specgrid run` follows a sweep with a live pull and then drains with a short final pull
// that stops once nothing more comes: with the fetched batch dropped, that final pull missed it, and a run on
// a loaded CI machine reported a sweep complete with one shard's 10 results absent from its database.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { RetentionPolicy, StorageType, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, it } from "vitest";

import { RESULTS_STREAM, RESULTS_SUBJECTS, resultMsgId, resultsSubject } from "../../core/nats-names.js";
import { encodeCellResult } from "../../core/wire/index.js";
import type { CellResult } from "../../core/metrics.js";
import { openStore } from "../../cli/store/open-store.js";
import { pullResults, type PullProgress } from "../../cli/workflows/pull-results.js";
import { fakeSweep } from "../support/fake-results.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";

let nats: TestNats;
let nc: NatsConnection;
let dir: string;

async function publish(results: readonly CellResult[]): Promise<void> {
  const js = jetstream(nc);
  for (const r of results)
    await js.publish(resultsSubject(r.sweepId), encodeCellResult(r), {
      msgID: resultMsgId(r.sweepId, r.cellId, r.hostId),
    });
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
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
  dir = mkdtempSync(path.join(tmpdir(), "specgrid-pull-stall-"));
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

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
    await until(() => stored() === 5, "the first 5 results");

    // A batch arrives and the server stops before the fetch holding it ends: no expiry status and no
    // heartbeat reaches the client, which gives the fetch up after two missed 500 ms heartbeats. The stop
    // can miss (the fetch may have ended just before it); each try adds a batch until one fetch stalled.
    let sent = 5;
    for (let attempt = 0; attempt < 4 && (last?.stalled ?? 0) === 0; attempt++) {
      await publish(results.slice(sent, sent + 5));
      sent += 5;
      await new Promise((r) => setTimeout(r, 60));
      await nats.pause!(2_000);
      await until(() => stored() === sent, `the ${sent} results published so far`);
    }
    expect(last?.stalled ?? 0, "a fetch ended in missed heartbeats").toBeGreaterThan(0);

    // the live pull is still running: later results come in through it
    await publish(results.slice(sent));
    await until(() => stored() === results.length, "every result through the live pull");
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
