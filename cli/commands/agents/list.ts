import { SpecgridCommand } from "../../workflows/specgrid-command.js";
import { clientFlags, clientFromFlags } from "../../workflows/client-flags.js";

export interface AgentJson {
  agent_id: string;
  name: string;
  alive: boolean;
  last_seen: string;
  hostname: string;
  gpus: { name: string; memory_total_mib: number }[];
  llama_builds: { binary: string; version: string }[];
  engines: string[];
  engine_backend?: string;
  labels: Record<string, string>;
  models: { file: string; sha256: string; bytes: number }[];
  running_shards: string[];
  slots: number;
}

export interface AgentsListResult {
  agents: AgentJson[];
}

export default class AgentsList extends SpecgridCommand {
  static override description =
    "List agents registered with the coordinator: host, GPUs, llama.cpp build, models, liveness and current shard.";

  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --json",
  ];

  static override enableJsonFlag = true;

  static override flags = { ...clientFlags };

  async run(): Promise<AgentsListResult> {
    const { flags } = await this.parse(AgentsList);
    const client = clientFromFlags(flags, (m) => this.error(m, { exit: 2 }));
    try {
      const agents = await client.listAgents().catch((err: unknown) => this.badInput(err));
      const out = agents.map((a): AgentJson => ({
        agent_id: a.agentId,
        name: a.name,
        alive: a.alive,
        last_seen: a.lastSeen,
        hostname: a.host?.hostname ?? "",
        gpus: (a.host?.gpus ?? []).map((g) => ({ name: g.name, memory_total_mib: g.memoryTotalMib })),
        llama_builds: (a.host?.llamaBuilds ?? []).map((b) => ({ binary: b.binary, version: b.version })),
        engines: a.host?.engines ?? [],
        ...(a.host?.engineBackend === undefined ? {} : { engine_backend: a.host.engineBackend }),
        labels: a.host?.labels ?? {},
        models: (a.inventory?.models ?? []).map((m) => ({ file: m.file, sha256: m.sha256, bytes: m.bytes })),
        running_shards: a.runningShards,
        slots: a.slots,
      }));
      if (out.length === 0) this.log("no agents registered");
      for (const a of out) {
        const gpus = a.gpus.length > 0 ? a.gpus.map((g) => g.name).join(", ") : "no GPU";
        const build = a.llama_builds[0]
          ? `llama.cpp ${a.llama_builds[0].version}`
          : (a.engine_backend ?? a.engines.join(","));
        this.log(
          `${a.name.padEnd(20)} ${a.alive ? "alive" : "dead "}  ${gpus}  ${build}  ${a.models.length} models  ` +
            `${a.running_shards.length > 0 ? `running ${a.running_shards.join(", ")}` : "idle"}`,
        );
      }
      return { agents: out };
    } finally {
      client.close();
    }
  }
}
