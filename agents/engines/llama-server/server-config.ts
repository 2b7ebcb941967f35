// Which llama-server a cell needs, and the argv that starts it. Builds since 2026-05-11 ignore per-request
// speculative settings (REFERENCE §8.5), so there every (spec type and settings, K, p_min, slots)
// combination is its own process; older builds may draft every K of a (p_min, slots) on one server, K sent per request. Baselines
// run on a server started without a draft. The configuration keys are core's (core/plan/server-blocks.ts),
// the ones the planner cut the shard by.
import type { Cell, LlamaSettings } from "../../../core/cell.js";
import { RejectedParameterError } from "../../../core/errors.js";
import { speculates, type ServerSettings } from "../../../core/plan/server-blocks.js";
import { DEFAULT_SPEC_TYPE, specLabel, specTypeTraits } from "../../../core/spec-types.js";
import { speculationArgv } from "../../../core/llama-server-flags.js";
import type { ToolCapabilities } from "../../probe/tool-capabilities.js";
import type { ResolvedModels } from "../engine.js";

export interface ServerConfig extends ServerSettings {
  llama: LlamaSettings;
}

/** The server a cell runs on. Throws RejectedParameterError for what a server cannot do. */
export function serverConfigFor(cell: Cell, llama: LlamaSettings): ServerConfig {
  const slots = cell.kind === "parallel" ? (cell.concurrency ?? 1) : 1;
  if (!speculates(cell)) return { speculative: false, slots, llama };
  const specType = cell.specType ?? DEFAULT_SPEC_TYPE;
  const traits = specTypeTraits(specType);
  const settings = cell.specSettings === undefined ? {} : { specSettings: cell.specSettings };
  if (!traits.usesK) return { speculative: true, specType, ...settings, slots, llama };
  if (cell.k === undefined || cell.k.kind !== "fixed") {
    throw new RejectedParameterError(
      "llama-server drafts a fixed K set at start; the adaptive K policy runs only on the in-process engine",
      { cellId: cell.cellId },
    );
  }
  return { speculative: true, specType, ...settings, k: cell.k.k, pMin: cell.pMin ?? 0, slots, llama };
}

/**
 * For the log: what the server runs, e.g. "draft K=4 p_min=0 slots=1" (draft-simple),
 * "ngram-mod n-match=24 slots=1" or "baseline slots=1".
 */
export function describeServerConfig(cfg: ServerSettings): string {
  if (!cfg.speculative) return `baseline slots=${cfg.slots}`;
  const method =
    (cfg.specType ?? DEFAULT_SPEC_TYPE) === DEFAULT_SPEC_TYPE
      ? "draft"
      : specLabel(cfg.specType, cfg.specSettings);
  return cfg.k === undefined
    ? `${method} slots=${cfg.slots}`
    : `${method} K=${cfg.k} p_min=${cfg.pMin ?? 0} slots=${cfg.slots}`;
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
  if (!cfg.speculative) return argv;
  argv.push(...speculationArgv(caps, accepted, cfg, models.draftPath));
  return argv;
}
