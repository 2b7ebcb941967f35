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

  it("lets a waiter that asks first jump the queue (the pool loop that just got work)", async () => {
    const s = new SlotSemaphore(1);
    await s.acquire();
    const order: string[] = [];
    const idle = s.acquire().then(() => order.push("idle-pool"));
    const busy = s.acquire(undefined, true).then(() => order.push("busy-pool"));
    s.release();
    await busy;
    s.release();
    await idle;
    expect(order).toEqual(["busy-pool", "idle-pool"]);
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
