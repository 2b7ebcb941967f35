// Caps how many shards an agent holds at once. Pool loops acquire a slot before pulling, so the agent never
// holds a message it cannot start (buffered messages outlive ack_wait and get run twice).
//
// Fair across pools: waiters whose pool has work (their last pull brought a shard, or the pool reports
// pending messages) are served in turn, first come first served, so two pools with work alternate; waiters
// of pools that looked empty are served only when no pool with work waits, so an empty pool's 1 s pull never
// holds a slot that a pool with work could use.
export class SlotSemaphore {
  private free: number;
  private readonly ready: (() => void)[] = [];
  private readonly idle: (() => void)[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  get available(): number {
    return this.free;
  }

  /** Waiters whose pool has work: a pool loop that sees this above 0 has a turn coming without asking. */
  get waitingWithWork(): number {
    return this.ready.length;
  }

  /**
   * @param hasWork the caller's pool has work (its last pull brought a shard, or it reports pending
   * messages): served before the waiters of pools that looked empty, in turn with the other pools with work.
   */
  acquire(signal?: AbortSignal, hasWork = false): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    const queue = hasWork ? this.ready : this.idle;
    return new Promise((resolve) => {
      const grant = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      };
      const onAbort = (): void => {
        const i = queue.indexOf(grant);
        if (i >= 0) queue.splice(i, 1);
        resolve(false);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      queue.push(grant);
    });
  }

  release(): void {
    const next = this.ready.shift() ?? this.idle.shift();
    if (next) next();
    else this.free++;
  }
}
