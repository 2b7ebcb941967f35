// Caps how many shards an agent holds at once. Pool loops acquire a slot before pulling, so the agent never
// holds a message it cannot start (buffered messages outlive ack_wait and get run twice).
export class SlotSemaphore {
  private free: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  get available(): number {
    return this.free;
  }

  /**
   * @param first queue ahead of the other waiters: a pool loop whose last pull brought work asks first, so an
   * agent keeps draining the pool it is working on instead of lending its slot to an empty pool's 1 s pull.
   */
  acquire(signal?: AbortSignal, first = false): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (first) this.waiters.unshift(grant);
      else this.waiters.push(grant);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}
