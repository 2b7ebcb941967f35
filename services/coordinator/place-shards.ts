// Which pools each shard goes to. spread: one pool per eligibility requirement, any eligible agent pulls it.
// every-host and selectors: the shard is published once per selected host, to that host's own pool.
import type { Shard } from "../../core/cell.js";
import type { ManifestPlacement } from "../../core/manifest/manifest.js";
import { SpecgridError } from "../../core/errors.js";
import { hostPool, requirementPool } from "../../core/nats-names.js";
import type { AgentInfo } from "../../core/agent-info.js";
import { shardNeeds } from "../../core/plan/shard-needs.js";
import { hostEligibility } from "./host-eligibility.js";
import type { ShardPlacement, SweepRecord } from "./sweep-record.js";

export interface Placements {
  placements: ShardPlacement[];
  placementsTotal: number;
  requirements: SweepRecord["requirements"];
}

/** Glob with `*` only, case-insensitive: `gpu: "*H100*"`. */
function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
    "i",
  );
  return re.test(value);
}

function selected(placement: ManifestPlacement, agent: AgentInfo): boolean {
  if (placement === "spread" || placement === "every-host") return true;
  if (placement.hosts && !placement.hosts.includes(agent.name) && !placement.hosts.includes(agent.agentId)) {
    return false;
  }
  if (placement.gpu !== undefined) {
    const gpu = placement.gpu;
    return (agent.host?.gpus ?? []).some((g) => globMatch(gpu, g.name));
  }
  return true;
}

export function placeShards(shards: Shard[], placement: ManifestPlacement, live: AgentInfo[]): Placements {
  const placements: ShardPlacement[] = [];
  const requirements = new Map<string, SweepRecord["requirements"][number]>();
  let placementsTotal = 0;
  for (const shard of shards) {
    const needs = shardNeeds(shard);
    const verdicts = live.map((agent) => ({ agent, verdict: hostEligibility(agent, needs) }));
    const eligible = verdicts.filter((v) => v.verdict.eligible).map((v) => v.agent);
    const chosen = eligible.filter((a) => selected(placement, a));
    if (chosen.length === 0) {
      const why =
        live.length === 0
          ? "no live agent is registered"
          : eligible.length === 0
            ? `no eligible host because ${verdicts
                .map(
                  ({ agent, verdict }) => `${agent.name}: ${verdict.eligible ? "eligible" : verdict.lacks}`,
                )
                .join("; ")}`
            : `the placement selector matches none of the eligible agents (${eligible.map((a) => a.name).join(", ")})`;
      throw new SpecgridError(
        "NO_ELIGIBLE_AGENT",
        `shard ${shard.shardId} (${shard.key.target.name}${shard.key.draft ? ` + ${shard.key.draft.name}` : ""}, ` +
          `engine ${shard.key.engine}): ${why}. Start an agent that holds these models with ` +
          `--engine ${shard.key.engine} and what it lacks, or change the manifest (engine, llama settings, ` +
          "placement).",
        { details: { shardId: shard.shardId, engine: shard.key.engine, sha256s: needs.sha256s } },
      );
    }
    if (placement === "spread") {
      const pool = requirementPool(needs);
      requirements.set(pool, { pool, ...needs });
      placements.push({ shardId: shard.shardId, pool });
      placementsTotal += shard.cells.length;
    } else {
      for (const agent of chosen) {
        placements.push({ shardId: shard.shardId, pool: hostPool(agent.agentId), hostId: agent.agentId });
        placementsTotal += shard.cells.length;
      }
    }
  }
  return { placements, placementsTotal, requirements: [...requirements.values()] };
}
