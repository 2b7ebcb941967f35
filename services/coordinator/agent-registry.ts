// Live agents: what each holds (models by sha256, engines, GPUs, labels) and when it was last heard from.
// Kept in memory for fast heartbeats and mirrored to the KV bucket (TTL) so a restarted coordinator knows
// the fleet before the next heartbeats arrive.
import type { KV } from "@nats-io/kv";
import type { AgentInfo, AgentRegistration } from "../../core/agent-info.js";
import { agentInfoFromProto, agentInfoToProto } from "../../core/wire/agent-info-wire.js";
import { AgentInfo as PbAgentInfo } from "../../core/wire/generated.js";
import { SpecgridError } from "../../core/errors.js";
import { assertSubjectToken } from "../../core/nats-names.js";

export interface AgentRecord {
  info: AgentInfo;
  lastSeenMs: number;
}

/** Agent ids are subject tokens (they name host pools): letters, digits, '-' and '_'. */
export function agentIdOf(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
  return assertSubjectToken(id || "agent", "agent id");
}

export class AgentRegistry {
  private readonly agents = new Map<string, AgentRecord>();

  constructor(
    private readonly kv: KV,
    private readonly livenessMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reload what the bucket still holds (entries of dead agents expired with the bucket TTL). */
  async load(): Promise<void> {
    for await (const key of await this.kv.keys()) {
      const entry = await this.kv.get(key);
      if (!entry || entry.length === 0) continue;
      const info = agentInfoFromProto(PbAgentInfo.decode(entry.value));
      // a restarted coordinator heard nobody yet: give every known agent one liveness period to heartbeat,
      // so a submit right after the restart still sees the fleet (dead ones drop out after it)
      this.agents.set(info.agentId, { info, lastSeenMs: this.now() });
    }
  }

  /**
   * Registers (or re-registers) an agent. A name is one agent: while an agent process holds it and is live,
   * another process registering under it (another instance id) is refused with AGENT_NAME_TAKEN, since two
   * agents merged into one would share one inventory, one host pool and one host id in the results.
   */
  async register(req: AgentRegistration): Promise<AgentInfo> {
    const named = req.name.trim() || req.host?.hostname.trim();
    if (!named) {
      // a blank registrant would appear as an agent "agent" with nothing to run on
      throw new SpecgridError(
        "INVALID_ARGUMENT",
        "Register needs the agent's name or its host facts (hostname); this request had neither. " +
          "Register through `specgrid agent start`, which sends both",
        { details: { rule: "register-name" } },
      );
    }
    const agentId = agentIdOf(named);
    const current = this.agents.get(agentId);
    const holder = current?.info.instanceId;
    if (current && this.isAlive(current) && holder !== undefined && holder !== req.instanceId) {
      const heardMs = this.now() - current.lastSeenMs;
      const where = current.info.host?.hostname ? ` on host ${current.info.host.hostname}` : "";
      throw new SpecgridError(
        "AGENT_NAME_TAKEN",
        `an agent named "${agentId}" is already registered${where} and alive (heard ${heardMs} ms ago); ` +
          "two agents under one name would be merged into one host. Start this one with another --name " +
          `(the default is the host name), or stop the other: a name is free again ${this.livenessMs} ms ` +
          "after its agent goes silent",
        { details: { agentId, livenessMs: this.livenessMs } },
      );
    }
    const info: AgentInfo = {
      agentId,
      name: req.name,
      ...(req.host === undefined ? {} : { host: req.host }),
      models: req.models,
      alive: true,
      lastSeen: new Date(this.now()).toISOString(),
      // the same process registering again (a model rescan) keeps the shards its heartbeats reported
      runningShards:
        current && holder !== undefined && holder === req.instanceId ? current.info.runningShards : [],
      slots: req.slots,
      ...(req.instanceId ? { instanceId: req.instanceId } : {}),
    };
    this.agents.set(agentId, { info, lastSeenMs: this.now() });
    await this.persist(info);
    return info;
  }

  /**
   * Returns false when the agent is unknown, or the name is now held by another agent process (instance id):
   * the caller must register again (and is refused while the other one is live).
   */
  async heartbeat(agentId: string, runningShards: string[], instanceId?: string): Promise<boolean> {
    const rec = this.agents.get(agentId);
    if (!rec) return false;
    if (instanceId && rec.info.instanceId && rec.info.instanceId !== instanceId) return false;
    rec.lastSeenMs = this.now();
    rec.info.lastSeen = new Date(rec.lastSeenMs).toISOString();
    rec.info.runningShards = runningShards;
    await this.persist(rec.info);
    return true;
  }

  isAlive(rec: AgentRecord): boolean {
    return this.now() - rec.lastSeenMs <= this.livenessMs;
  }

  get(agentId: string): AgentRecord | undefined {
    return this.agents.get(agentId);
  }

  live(): AgentRecord[] {
    return [...this.agents.values()].filter((r) => this.isAlive(r));
  }

  all(): AgentInfo[] {
    return [...this.agents.values()].map((r) => ({ ...r.info, alive: this.isAlive(r) }));
  }

  private async persist(info: AgentInfo): Promise<void> {
    await this.kv.put(info.agentId, PbAgentInfo.encode(agentInfoToProto(info)).finish());
  }
}
