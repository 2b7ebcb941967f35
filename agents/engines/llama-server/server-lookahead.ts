// What a session still needs from its servers: the server keys of the cells it has yet to run, in run order.
// The session stops a server as soon as no remaining cell needs it, and when it must make room it stops one
// never needed again or, failing that, the one needed last (Belady's choice: the fewest restarts for a known
// sequence). Without a plan (cells run as they come) it knows nothing and the session falls back to LRU.

export class ServerLookahead {
  /** Remaining positions (indices into the plan) per server key, ascending. */
  private readonly uses = new Map<string, number[]>();

  /** `order`: the server key of every planned cell, in the order the cells will run. */
  constructor(order: readonly string[]) {
    order.forEach((key, i) => {
      let positions = this.uses.get(key);
      if (positions === undefined) {
        positions = [];
        this.uses.set(key, positions);
      }
      positions.push(i);
    });
  }

  /** Cells still to run on this key's server. */
  remaining(key: string): number {
    return this.uses.get(key)?.length ?? 0;
  }

  /**
   * One cell of this key ran (or was given up on). Returns whether that used up a planned cell: a cell
   * beyond the plan (more cells of a key than planned, or a key never planned) consumes nothing.
   */
  consume(key: string): boolean {
    const positions = this.uses.get(key);
    return positions?.shift() !== undefined;
  }

  /** Position of the next cell needing this key; Infinity when none does. */
  nextUse(key: string): number {
    return this.uses.get(key)?.[0] ?? Number.POSITIVE_INFINITY;
  }

  /**
   * The running server to stop to make room, sparing `keep` (the one about to be used): a server no remaining
   * cell needs, else the one whose next cell comes last. Undefined when only `keep` runs.
   */
  victim(running: Iterable<string>, keep: string): string | undefined {
    let best: string | undefined;
    let bestNext = -1;
    for (const key of running) {
      if (key === keep) continue;
      const next = this.nextUse(key);
      if (next > bestNext) {
        best = key;
        bestNext = next;
      }
    }
    return best;
  }
}
