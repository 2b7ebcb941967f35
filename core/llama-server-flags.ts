// The speculation flags of a llama-server configuration in the spellings a probed build accepts
// (core/tool-capabilities.ts): what the agent starts a server with, and what the report's recommendation
// prints for that host, from one function. llama-speculative-simple parses the same common flags
// (common/arg.cpp), so its cells of a type other than draft-simple are built here too.
import type { LlamaSettings } from "./cell.js";
import { RejectedParameterError } from "./errors.js";
import type { ServerSettings } from "./plan/server-blocks.js";
import { DEFAULT_SPEC_TYPE, specSettingFlag, specTypeParts, specTypeTraits } from "./spec-types.js";
import type { ToolCapabilities } from "./tool-capabilities.js";

/**
 * The speculation flags of a configuration, spelled as the build's --help spells them; throws
 * RejectedParameterError naming the type, setting or flag the build lacks.
 */
export function speculationArgv(
  caps: ToolCapabilities,
  /** Flags the build's --help lists; a setting's flag is checked against it where given. */
  accepted: readonly string[] | undefined,
  cfg: ServerSettings & { llama: LlamaSettings },
  draftPath: string | undefined,
  /** The tool the flags are for, in messages. @default "llama-server" */
  tool = "llama-server",
): string[] {
  const specType = cfg.specType ?? DEFAULT_SPEC_TYPE;
  const traits = specTypeTraits(specType);
  const parts = specTypeParts(specType);
  const supported = caps.specTypes ?? [];
  // draft-simple is what -md alone turned on in builds that do not list it (before 2026-05-11)
  const listsDraftSimple = supported.includes(DEFAULT_SPEC_TYPE);
  const lacking = parts.filter(
    (t) => !supported.includes(t) && !(t === DEFAULT_SPEC_TYPE && !listsDraftSimple),
  );
  if (lacking.length > 0) {
    throw new RejectedParameterError(
      `${tool} in this build does not support --spec-type ${lacking.join(",")} (its --help lists ${supported.length === 0 ? "no --spec-type at all" : supported.join(", ")}); use a newer build or drop it from sweep.spec_type`,
      { tool, specType, lacking, supported },
    );
  }
  const typeFlag = parts.filter((t) => t !== DEFAULT_SPEC_TYPE || listsDraftSimple);
  const argv: string[] = [];
  if (traits.draftModel) {
    if (draftPath === undefined) {
      throw new RejectedParameterError(
        `--spec-type ${specType} needs a draft model, and the shard names none`,
        { specType },
      );
    }
    const draftModel = need(caps, "draftModel", tool);
    argv.push(draftModel, draftPath);
  }
  // Without it the server loads the draft, frees it and serves without speculation (§8.6).
  if (typeFlag.length > 0) argv.push("--spec-type", typeFlag.join(","));
  if (traits.usesK) {
    argv.push(need(caps, "draftMax", tool), String(cfg.k));
    if (caps.draftMin) argv.push(caps.draftMin, "0");
    if (caps.pMin) argv.push(caps.pMin, String(cfg.pMin ?? 0));
    else if ((cfg.pMin ?? 0) !== 0) {
      throw new RejectedParameterError(
        `${tool} in this build has no p-min flag; the configuration asks for p_min ${cfg.pMin}`,
        { tool, specType },
      );
    }
  }
  if (traits.draftModel && caps.draftGpuLayers) argv.push(caps.draftGpuLayers, String(cfg.llama.gpuLayers));
  for (const [key, value] of Object.entries(cfg.specSettings ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const flag = specSettingFlag(key);
    if (accepted !== undefined && !accepted.includes(flag)) {
      throw new RejectedParameterError(
        `${tool} in this build has no ${flag} (setting ${key} of --spec-type ${specType}); check \`${tool} --help\` for the spelling this build takes`,
        { tool, specType, flag },
      );
    }
    argv.push(flag, String(value));
  }
  return argv;
}

function need(caps: ToolCapabilities, key: "draftModel" | "draftMax", tool: string): string {
  const flag = caps[key];
  if (flag === undefined) {
    throw new RejectedParameterError(
      `${tool} in this build has no flag for ${key}; use a build whose --help lists it`,
      { tool, missing: [key] },
    );
  }
  return flag;
}
