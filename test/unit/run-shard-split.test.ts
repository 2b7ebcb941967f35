// runShard on a host slower than the plan: past splitAfterEstimate × the shard's planned duration it hands
// the remaining cells back (nak) instead of holding the shard to the end, never between a baseline and the
// speculative cell it pairs with, and never on the last two deliveries (kept for real retries).
import os from "node:os";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { runShard, type ShardEnd } from "../../agents/daemon/run-shard.js";
import type { Engine } from "../../agents/engines/engine.js";
import type { Cell, Shard } from "../../core/cell.js";
import { parseManifest } from "../../core/manifest/load-manifest.js";
import { planSweep } from "../../core/plan/plan-sweep.js";
import { encodeShard } from "../../core/wire/nats-payloads.js";

const MANIFEST = [
  "name: split",
  "models: { target: { file: t.gguf, sha256: " +
    "a".repeat(64) +
    " }, draft: { file: d.gguf, sha256: " +
    "b".repeat(64) +
    " } }",
  "pairs: [{ target: target, draft: draft }]",
  "prompts: [one, two, three]",
  "sweep: { k: [1, 2], temperature: [0, 0.5], n_predict: 8, repeats: 2 }",
  "engine: in-process",
  // 8 tokens at 1000 t/s: the plan expects 8 ms a cell
  "estimate: { decode_tps: 1000, load_ms: 0 }",
].join("\n");

function oneShard(): Shard {
  const plan = planSweep(parseManifest(MANIFEST, "split.yaml", os.tmpdir()));
  expect(plan.shards).toHaveLength(1);
  return plan.shards[0]!;
}

/** An engine whose every cell takes `cellMs`, recording the cells it ran. */
function slowEngine(cellMs: number, ran: Cell[]): Engine {
  return {
    name: "slow",
    describe: () => Promise.resolve("slow"),
    dispose: () => Promise.resolve(),
    openSession: () =>
      Promise.resolve({
        loadMs: 0,
        runCell: async (cell: Cell) => {
          await new Promise((r) => setTimeout(r, cellMs));
          ran.push(cell);
          return { status: "ok", metrics: { nDecoded: 8, decodeMs: cellMs, decodeTps: 1, wallMs: cellMs } };
        },
        close: () => Promise.resolve(),
      }),
  };
}

async function run(
  shard: Shard,
  cellMs: number,
  deliveryCount: number,
  splitAfterEstimate?: number,
): Promise<{ end: ShardEnd; ran: Cell[]; acts: string[] }> {
  const acts: string[] = [];
  const msg = {
    info: { deliveryCount },
    data: encodeShard({ sweepId: "sw", shard }),
    subject: "specgrid.jobs.p",
    seq: 1,
    working: () => undefined,
    nak: () => acts.push("nak"),
    term: () => acts.push("term"),
    ackAck: () => {
      acts.push("ack");
      return Promise.resolve(true);
    },
  } as unknown as JsMsg;
  const js = { publish: () => Promise.resolve({ duplicate: false, seq: 1 }) } as unknown as JetStreamClient;
  const done = {
    get: () => Promise.resolve(null),
    put: () => Promise.resolve(1),
  } as unknown as KV;
  const ran: Cell[] = [];
  const end = await runShard(
    msg,
    {
      js,
      done,
      engine: slowEngine(cellMs, ran),
      hostId: "h",
      logger: pino({ level: "silent" }),
      resolveModels: () => Promise.resolve({ targetPath: "/t.gguf", draftPath: "/d.gguf" }),
      isCancelled: () => false,
      ackWaitMs: 30_000,
      maxDeliver: 5,
      measureNoise: () => Promise.resolve({ stop: () => Promise.resolve(undefined) }),
      ...(splitAfterEstimate === undefined ? {} : { splitAfterEstimate }),
    },
    new AbortController().signal,
  );
  return { end, ran, acts };
}

describe("runShard splits a shard that overruns its plan", () => {
  it("a host 5× slower than planned hands the rest back after 1.5× the plan, between pairs", async () => {
    const shard = oneShard();
    const { end, ran, acts } = await run(shard, 40, 1);
    expect(end).toBe("split");
    expect(acts).toEqual(["nak"]);
    expect(ran.length).toBeGreaterThan(0);
    expect(ran.length).toBeLessThan(shard.cells.length);
    // the last cell run is never a baseline whose speculative partner was left for another host
    const last = ran[ran.length - 1]!;
    expect(last.pairedWith).toBeUndefined();
  });

  it("runs to the end on a host within its budget", async () => {
    const shard = oneShard();
    // a budget of 50× the plan (19 s): generous enough for a loaded CI box running empty cells
    const { end, ran, acts } = await run(shard, 0, 1, 50);
    expect(end).toBe("acked");
    expect(acts).toEqual(["ack"]);
    expect(ran).toHaveLength(shard.cells.length);
  });

  it("keeps the last two deliveries for retries: no split on delivery 4 of 5", async () => {
    const shard = oneShard();
    const { end, ran } = await run(shard, 40, 4);
    expect(end).toBe("acked");
    expect(ran).toHaveLength(shard.cells.length);
  });
});
