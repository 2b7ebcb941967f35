// Child process of the fleet benchmark: the coordinator alone in its own process, so its peak RSS and CPU
// time are its own. Prints its address once listening; on SIGTERM writes peak RSS and CPU seconds to the
// report file, then exits.
import { writeFile } from "node:fs/promises";
import { pino } from "pino";
import { coordinatorPlanning } from "../../services/coordinator/coordinator-planning.js";
import { startCoordinator } from "../../services/coordinator/start-coordinator.js";

export interface FleetCoordinatorArgs {
  natsUrl: string;
  token: string;
  heartbeatMs: number;
  targetShardMs: number;
  reportFile: string;
}

export interface FleetCoordinatorReport {
  maxRssMib: number;
  cpuS: number;
  /** RSS sampled every second, MiB (the peak is maxRssMib). */
  rssSamplesMib: number[];
  /** Largest V8 heapUsed of the samples, MiB. */
  peakHeapUsedMib: number;
  /** V8 heapUsed after a full GC at SIGTERM, before stopping (what the coordinator still holds), MiB; only under --expose-gc. */
  heapAfterGcMib?: number;
}

const args = JSON.parse(process.argv[2] ?? "null") as FleetCoordinatorArgs | null;
if (args === null) throw new Error("usage: fleet-coordinator-child.ts '<FleetCoordinatorArgs JSON>'");
const coordinator = await startCoordinator({
  listen: "127.0.0.1:0",
  natsUrl: args.natsUrl,
  token: args.token,
  logger: pino({ level: "warn" }, pino.destination(2)),
  heartbeatMs: args.heartbeatMs,
  ...coordinatorPlanning({ targetShardMs: args.targetShardMs, maxCells: 200_000 }),
});
const rssSamplesMib: number[] = [];
let peakHeapUsedMib = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  rssSamplesMib.push(m.rss / 2 ** 20);
  peakHeapUsedMib = Math.max(peakHeapUsedMib, m.heapUsed / 2 ** 20);
}, 1_000);
process.stdout.write(JSON.stringify({ address: coordinator.address }) + "\n");
let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  clearInterval(sampler);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapAfterGcMib = gc === undefined ? undefined : process.memoryUsage().heapUsed / 2 ** 20;
  void (async () => {
    await coordinator.stop().catch(() => undefined);
    const cpu = process.cpuUsage();
    const report: FleetCoordinatorReport = {
      maxRssMib: process.resourceUsage().maxRSS / 1024,
      cpuS: (cpu.user + cpu.system) / 1e6,
      rssSamplesMib,
      peakHeapUsedMib,
      ...(heapAfterGcMib === undefined ? {} : { heapAfterGcMib }),
    };
    await writeFile(args.reportFile, JSON.stringify(report));
    process.exit(0);
  })();
});
