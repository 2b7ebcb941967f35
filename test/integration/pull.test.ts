// results pull against a real nats-server: durable per database, resume, redelivery stored once.
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
import { pullResults } from "../../cli/workflows/pull-results.js";
import { fakeSweep } from "../support/fake-results.js";
import { startTestNats, type TestNats } from "../support/nats-server.js";

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
});
