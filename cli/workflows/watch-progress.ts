// Live progress of a sweep: a bar with ETA and one row per host. Driven by the WatchSweep stream, with the
// per-host rows refreshed from GetSweep; survives a coordinator restart by reconnecting.
import type { CoordinatorClient } from "../../core/wire/coordinator-client.js";
import type { SweepStatus } from "../../core/wire/generated.js";

export interface WatchOptions {
  /** Where lines go (stderr in commands that print --json on stdout). */
  write: (text: string) => void;
  /** Redraw in place (a terminal); otherwise print a line when progress changes, at most every few seconds. */
  tty: boolean;
  signal?: AbortSignal;
  /** @default 1000 */
  refreshMs?: number;
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
      : `${s}s`;
}

export function renderProgress(s: SweepStatus, nowMs: number): string[] {
  const total = Math.max(1, s.placementsTotal);
  const width = 30;
  const filled = Math.round((s.done / total) * width);
  const elapsedMs = nowMs - Date.parse(s.submittedAt);
  // ETA from the measured rate so far; none until the first result exists, and none once the sweep has
  // stopped (a cancelled or failed sweep will never finish the rest)
  const eta =
    s.state === "running" && s.done > 0 && s.done < s.placementsTotal
      ? ` ETA ${formatDuration((elapsedMs / s.done) * (s.placementsTotal - s.done))}`
      : "";
  const lines = [
    `${s.sweepId} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${s.done}/${s.placementsTotal} ${s.state}` +
      ` (valid ${s.valid}, invalid ${s.invalid}, failed ${s.failed}) elapsed ${formatDuration(elapsedMs)}${eta}`,
  ];
  for (const h of s.hosts) {
    lines.push(
      `  ${h.name.padEnd(20)} done ${String(h.done).padStart(5)}  valid ${String(h.valid).padStart(5)}  failed ${String(h.failed).padStart(4)}  ${h.currentShard ? `running ${h.currentShard}` : "idle"}`,
    );
  }
  return lines;
}

export async function watchProgress(
  client: CoordinatorClient,
  sweepId: string,
  o: WatchOptions,
): Promise<SweepStatus> {
  let drawn = 0;
  let lastPrinted = "";
  let lastPrintMs = 0;
  const draw = (s: SweepStatus, force = false): void => {
    const lines = renderProgress(s, Date.now());
    if (o.tty) {
      o.write((drawn > 0 ? `\x1b[${drawn}A\x1b[J` : "") + lines.join("\n") + "\n");
      drawn = lines.length;
    } else if (force || (lines[0] !== lastPrinted && Date.now() - lastPrintMs > 3000)) {
      o.write(lines.join("\n") + "\n");
      lastPrinted = lines[0] ?? "";
      lastPrintMs = Date.now();
    }
  };
  for (;;) {
    let status: SweepStatus;
    try {
      status = await client.getSweep(sweepId);
    } catch (err) {
      if (o.signal?.aborted) throw err;
      if (
        (err as { code?: string }).code === "NOT_FOUND" ||
        (err as { code?: string }).code === "UNAUTHENTICATED"
      )
        throw err;
      await new Promise((r) => setTimeout(r, 1000)); // coordinator restarting
      continue;
    }
    draw(status);
    if (status.state !== "running") {
      draw(status, true);
      return status;
    }
    // wait for the next event (or the refresh interval), then redraw from a fresh status
    const wake = new AbortController();
    const timer = setTimeout(() => wake.abort(), o.refreshMs ?? 1000);
    const onAbort = (): void => wake.abort();
    o.signal?.addEventListener("abort", onAbort);
    try {
      for await (const e of client.watchSweep(sweepId, wake.signal)) {
        if (e.kind !== "status") break;
      }
    } catch {
      // stream broken: the status poll above retries
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
    }
    if (o.signal?.aborted) return status;
  }
}
