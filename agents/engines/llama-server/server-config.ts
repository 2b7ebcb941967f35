// Which llama-server a cell needs, and the argv that starts it. Builds since 2026-05-11 ignore per-request
// speculative settings (REFERENCE §8.5), so there every (draft, K, p_min, slots) combination is its own
// process; older builds may draft every K of a (p_min, slots) on one server, K sent per request. Baselines
// run on a server started without a draft. The configuration keys are core's (core/plan/server-blocks.ts),
// the ones the planner cut the shard by.
import type { Cell, LlamaSettings } from "../../../core/cell.js";
import { RejectedParameterError } from "../../../core/errors.js";
import type { ServerSettings } from "../../../core/plan/server-blocks.js";
import type { ToolCapabilities } from "../../probe/tool-capabilities.js";
import type { ResolvedModels } from "../engine.js";

export interface ServerConfig extends ServerSettings {
  llama: LlamaSettings;
}

/** The server a cell runs on. Throws RejectedParameterError for what a server cannot do. */
export function serverConfigFor(cell: Cell, llama: LlamaSettings): ServerConfig {
  const slots = cell.kind === "parallel" ? (cell.concurrency ?? 1) : 1;
  if (cell.kind === "baseline" || cell.draft === undefined) return { draft: false, slots, llama };
  if (cell.k === undefined || cell.k.kind !== "fixed") {
    throw new RejectedParameterError(
      "llama-server drafts a fixed K set at start; the adaptive K policy runs only on the in-process engine",
      { cellId: cell.cellId },
    );
  }
  return { draft: true, k: cell.k.k, pMin: cell.pMin ?? 0, slots, llama };
}

/** For the log: what the server runs, e.g. "draft K=4 p_min=0 slots=1" or "baseline slots=1". */
export function describeServerConfig(cfg: ServerSettings): string {
  return cfg.draft
    ? `draft K=${cfg.k ?? "?"} p_min=${cfg.pMin ?? 0} slots=${cfg.slots}`
    : `baseline slots=${cfg.slots}`;
}

export function buildServerArgv(
  binPath: string,
  caps: ToolCapabilities,
  accepted: readonly string[],
  cfg: ServerConfig,
  models: ResolvedModels,
  port: number,
): string[] {
  const argv = [binPath, "--host", "127.0.0.1", "--port", String(port), "-m", models.targetPath];
  // -c is the total over all slots; each slot gets c / np (§8.7), so scale it to give every slot llama.ctx.
  argv.push("-c", String(cfg.llama.ctx * cfg.slots), "-np", String(cfg.slots));
  if (caps.gpuLayers) argv.push(caps.gpuLayers, String(cfg.llama.gpuLayers));
  if (cfg.llama.threads !== undefined) argv.push("-t", String(cfg.llama.threads));
  if (cfg.llama.batch !== undefined) argv.push("-b", String(cfg.llama.batch));
  const fa = caps.flashAttn;
  if (fa && cfg.llama.flashAttn !== "auto") {
    if (fa.takesValue) argv.push(fa.flag, cfg.llama.flashAttn);
    else if (cfg.llama.flashAttn === "on") argv.push(fa.flag);
  }
  if (accepted.includes("--slots")) argv.push("--slots");
  if (accepted.includes("--metrics")) argv.push("--metrics");
  if (!cfg.draft) return argv;
  if (models.draftPath === undefined) {
    throw new RejectedParameterError(
      "a speculative llama-server needs a draft model, and the shard names none",
      {},
    );
  }
  const missing = (["draftModel", "draftMax"] as const).filter((k) => caps[k] === undefined);
  if (missing.length > 0) {
    throw new RejectedParameterError(
      `llama-server in this build has no flag for ${missing.join(", ")}; use a build whose --help lists them`,
      { missing },
    );
  }
  argv.push(caps.draftModel as string, models.draftPath);
  // Without it the server loads the draft, frees it and serves without speculation (§8.6).
  if (caps.specTypeDraftSimple) argv.push("--spec-type", "draft-simple");
  argv.push(caps.draftMax as string, String(cfg.k));
  if (caps.draftMin) argv.push(caps.draftMin, "0");
  if (caps.pMin) argv.push(caps.pMin, String(cfg.pMin ?? 0));
  if (caps.draftGpuLayers) argv.push(caps.draftGpuLayers, String(cfg.llama.gpuLayers));
  return argv;
}
