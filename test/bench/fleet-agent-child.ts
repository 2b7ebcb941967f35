// Child process of the fleet benchmark: one agent daemon (its own OS process, as on a real host) with the
// paced engine. Its heartbeat round trips are timed at the client. On SIGTERM it stops the agent and writes
// what it measured to the report file, then exits.
import { writeFile } from "node:fs/promises";
import { pino } from "pino";
import { startAgent } from "../../agents/daemon/agent-daemon.js";
import { createCoordinatorClient, type CoordinatorClient } from "../../core/wire/coordinator-client.js";
import { PacedEngine, epochMs, type PacedTimings } from "./paced-engine.js";

export interface FleetAgentArgs {
  coordinator: string;
  token: string;
  name: string;
  modelDir: string;
  meanCellMs: number;
  slowdown: number;
  reportFile: string;
}

export interface FleetAgentReport {
  name: string;
  agentId: string;
  slowdown: number;
  timings: PacedTimings;
  /** Round trip of every heartbeat RPC, ms. */
  heartbeatMs: number[];
  /** Every pool the coordinator named in a heartbeat answer: the pools this agent was eligible for. */
  pools: string[];
  /** When the agent registered (epoch ms). */
  registeredAt: number;
  maxRssMib: number;
  cpuS: number;
}

const args = JSON.parse(process.argv[2] ?? "null") as FleetAgentArgs | null;
if (args === null) throw new Error("usage: fleet-agent-child.ts '<FleetAgentArgs JSON>'");
const inner = createCoordinatorClient({ address: args.coordinator, token: args.token });
const heartbeatMs: number[] = [];
const pools = new Set<string>();
const timed: CoordinatorClient = {
  ...inner,
  heartbeat: async (req) => {
    const t0 = performance.now();
    const res = await inner.heartbeat(req);
    heartbeatMs.push(performance.now() - t0);
    for (const p of res.pools) pools.add(p);
    return res;
  },
};
const engine = new PacedEngine({ meanCellMs: args.meanCellMs, slowdown: args.slowdown });
const agent = await startAgent({
  coordinator: timed,
  name: args.name,
  modelDirs: [args.modelDir],
  engineName: "in-process",
  engine,
  logger: pino({ level: "warn" }, pino.destination(2)),
  slots: 1,
  skipGpuProbe: true,
  rescanMs: 0,
  drainTimeoutMs: 2_000,
});
const registeredAt = epochMs();
process.stdout.write(JSON.stringify({ registered: agent.agentId }) + "\n");

let stopping = false;
process.on("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await agent.stop().catch(() => undefined);
    inner.close();
    const cpu = process.cpuUsage();
    const report: FleetAgentReport = {
      name: args.name,
      agentId: agent.agentId,
      slowdown: args.slowdown,
      timings: engine.timings,
      heartbeatMs,
      pools: [...pools],
      registeredAt,
      maxRssMib: process.resourceUsage().maxRSS / 1024,
      cpuS: (cpu.user + cpu.system) / 1e6,
    };
    await writeFile(args.reportFile, JSON.stringify(report));
    process.exit(0);
  })();
});
