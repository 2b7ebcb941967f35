// Whether an agent may run a shard (DESIGN's placement contract): it runs the shard's engine, holds its
// models (by sha256), has the llama.cpp tools its cells run with every flag they pass, and the estimated
// memory of one engine session fits the host. The answer names what is missing, for "no eligible host
// because ..." at submit; the same check decides which spread pools an agent pulls from.
import type { AgentInfo } from "../../core/agent-info.js";
import { estimateModelMemory, memoryFactsOf, type MemoryFacts } from "../../core/memory/estimate-memory.js";
import type { ShardNeeds } from "../../core/plan/shard-needs.js";

export type Eligibility = { eligible: true } | { eligible: false; lacks: string };

const FLAG_WORDS: Record<string, string> = {
  draftModel: "the draft model",
  draftMax: "draft max (K)",
  pMin: "p-min",
  pSplit: "the tree split probability (p_split)",
  gpuLayers: "GPU layers (-ngl)",
  parallel: "clients (-np)",
  sequences: "sequences (-ns)",
};

const short = (sha: string): string => `${sha.slice(0, 12)}…`;

function lacksTools(agent: AgentInfo, needs: ShardNeeds): string | undefined {
  const tools = new Map((agent.host?.llamaTools ?? []).map((t) => [t.tool, t.capabilities]));
  const missing: string[] = [];
  for (const need of needs.tools) {
    const caps = tools.get(need.tool);
    if (caps === undefined) {
      missing.push(`no ${need.tool} in its llama.cpp build`);
      continue;
    }
    const flags = need.flags.filter((f) => typeof caps[f] !== "string");
    if (flags.length > 0) {
      missing.push(`its ${need.tool} has no flag for ${flags.map((f) => FLAG_WORDS[f] ?? f).join(", ")}`);
    }
    const types = (need.specTypes ?? []).filter((t) => !(caps.specTypes ?? []).includes(t));
    if (types.length > 0) missing.push(`its ${need.tool} does not list --spec-type ${types.join(", ")}`);
  }
  return missing.length > 0 ? missing.join("; ") : undefined;
}

/** Memory where the weights go: VRAM of every GPU when all layers are offloaded, else VRAM and RAM. */
function capacityMib(agent: AgentInfo, gpuLayers: number, blockCount: number): { mib: number; what: string } {
  const ramMib = agent.host?.memoryMib ?? 0;
  const vramMib = (agent.host?.gpus ?? []).reduce((sum, g) => sum + g.memoryTotalMib, 0);
  if (gpuLayers <= 0 || vramMib <= 0) return { mib: ramMib, what: "RAM" };
  if (gpuLayers >= blockCount) return { mib: vramMib, what: "GPU memory" };
  return { mib: vramMib + ramMib, what: "GPU memory and RAM" };
}

/**
 * The estimate (core/memory) of the target, and the draft when its cells load it, against the host's total
 * memory. An agent whose inventory lacks a model's GGUF facts is not refused for memory: nothing to estimate.
 */
function lacksMemory(agent: AgentInfo, needs: ShardNeeds): string | undefined {
  const factsOf = (sha: string | undefined): MemoryFacts | undefined =>
    sha === undefined
      ? undefined
      : memoryFactsOf(agent.models.find((m) => m.sha256.toLowerCase() === sha.toLowerCase())?.facts);
  const [targetSha, draftSha] = needs.sha256s;
  const target = factsOf(targetSha);
  const draft = needs.memory.withDraft ? factsOf(draftSha) : undefined;
  if (target === undefined || (needs.memory.withDraft && draft === undefined)) return undefined;
  const opts = { ctx: needs.memory.ctx, parallel: needs.memory.parallel };
  const needMib =
    estimateModelMemory(target, opts).totalMib + (draft ? estimateModelMemory(draft, opts).totalMib : 0);
  const capacity = capacityMib(agent, needs.memory.gpuLayers, target.blockCount);
  if (needMib <= capacity.mib) return undefined;
  const what = draft ? "target and draft" : "the target";
  return (
    `${what} need an estimated ${Math.ceil(needMib)} MiB (ctx ${opts.ctx}, ${opts.parallel} ` +
    `sequence${opts.parallel === 1 ? "" : "s"}), more than its ${Math.floor(capacity.mib)} MiB of ${capacity.what}`
  );
}

export function hostEligibility(agent: AgentInfo, needs: ShardNeeds): Eligibility {
  if (!(agent.host?.engines ?? []).includes(needs.engine)) {
    return { eligible: false, lacks: `it does not run engine ${needs.engine}` };
  }
  const held = new Set(agent.models.map((m) => m.sha256.toLowerCase()));
  const missingModels = needs.sha256s.filter((s) => !held.has(s.toLowerCase()));
  if (missingModels.length > 0) {
    return { eligible: false, lacks: `it holds no model with sha256 ${missingModels.map(short).join(", ")}` };
  }
  const lacks = lacksTools(agent, needs) ?? lacksMemory(agent, needs);
  return lacks === undefined ? { eligible: true } : { eligible: false, lacks };
}
