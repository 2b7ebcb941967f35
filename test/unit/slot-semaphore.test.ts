import { describe, expect, it } from "vitest";
import { SlotSemaphore } from "../../agents/daemon/slot-semaphore.js";

describe("SlotSemaphore", () => {
  it("grants free slots at once, then hands released slots to waiters in order", async () => {
    const s = new SlotSemaphore(1);
    expect(await s.acquire()).toBe(true);
    const order: string[] = [];
    const a = s.acquire().then(() => order.push("a"));
    const b = s.acquire().then(() => order.push("b"));
    s.release();
    await a;
    s.release();
    await b;
    expect(order).toEqual(["a", "b"]);
    expect(s.available).toBe(0);
    s.release();
    expect(s.available).toBe(1);
  });

  it("serves a pool with work before a pool that looked empty", async () => {
    const s = new SlotSemaphore(1);
    await s.acquire();
    const order: string[] = [];
    const idle = s.acquire().then(() => order.push("idle-pool"));
    const busy = s.acquire(undefined, true).then(() => order.push("busy-pool"));
    expect(s.waitingWithWork).toBe(1);
    s.release();
    await busy;
    s.release();
    await idle;
    expect(order).toEqual(["busy-pool", "idle-pool"]);
  });

  it("takes pools with work in turn: a loop that asks again queues behind the others", async () => {
    const s = new SlotSemaphore(1);
    await s.acquire();
    const order: string[] = [];
    // pool A just got a shard and asks again at once; pool B found work meanwhile; A asks once more
    const a1 = s.acquire(undefined, true).then(() => order.push("A"));
    const b1 = s.acquire(undefined, true).then(() => order.push("B"));
    s.release();
    await a1;
    const a2 = s.acquire(undefined, true).then(() => order.push("A"));
    s.release();
    await b1;
    s.release();
    await a2;
    expect(order).toEqual(["A", "B", "A"]);
  });

  it("an aborted waiter gives up without taking a slot", async () => {
    const s = new SlotSemaphore(1);
    await s.acquire();
    const abort = new AbortController();
    const waiting = s.acquire(abort.signal);
    abort.abort();
    expect(await waiting).toBe(false);
    s.release();
    expect(s.available).toBe(1);
  });
});
