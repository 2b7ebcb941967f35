// The host-noise parsers and the contention verdict (core/measurement-protocol), on recorded /proc text.
import { describe, expect, it } from "vitest";
import { parsePidStat, parseProcStatBusy } from "../../agents/probe/host-noise-probe.js";
import { contentionOf } from "../../core/measurement-protocol.js";

describe("/proc parsers", () => {
  it("counts user, nice, system, irq, softirq and steal as busy; idle and iowait not", () => {
    const stat = "cpu  100 5 50 9000 40 3 2 7 0 0\ncpu0 50 2 25 4500 20 1 1 3 0 0\n";
    expect(parseProcStatBusy(stat)).toBe(100 + 5 + 50 + 3 + 2 + 7);
    expect(parseProcStatBusy("intr 1 2 3\n")).toBeUndefined();
  });

  it("reads pid, ppid and utime+stime+cutime+cstime, with spaces and parentheses in the name", () => {
    const line =
      "4242 (node (worker) x) S 4200 4242 4200 0 -1 4194560 1000 0 0 0 120 30 7 3 20 0 11 0 123 456789 1234 18446744073709551615";
    expect(parsePidStat(line)).toEqual({ pid: 4242, ppid: 4200, jiffies: 120 + 30 + 7 + 3 });
    expect(parsePidStat("garbage")).toBeUndefined();
  });
});

describe("contentionOf", () => {
  it.each([
    // cores, other processes' cores, engine threads, contended
    [2, 0.05, 1, false],
    [2, 0.5, 1, false],
    [2, 0.6, 1, true], // more than half a core beside a 1-thread engine on 2 cores
    [2, 1.33, 1, true], // two busy processes on 2 cores
    [16, 3, 8, false], // half of the 8 spare cores is 4
    [16, 4.5, 8, true],
    [8, 0.6, 8, true], // no spare core: the floor of half a core applies
  ])("%d cores, %d other cores, %d engine threads: contended %s", (cores, other, threads, contended) => {
    const v = contentionOf({ cores, otherCpuCores: other, engineThreads: threads });
    expect(v.contended).toBe(contended);
    if (contended) expect(v.reason).toMatch(new RegExp(`${other.toFixed(2)} of ${cores} cores`));
  });
});
