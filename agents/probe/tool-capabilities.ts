// Turns one tool's --help into the spellings the engines must use with that build. Engines never hard-code
// a speculative flag: they ask this map, and a build that lacks a needed flag is reported, not guessed at.
import type { LlamaTool } from "../../core/llama-tools.js";
import type { ToolCapabilities } from "../../core/tool-capabilities.js";
import type { ParsedHelp } from "./parse-llama-help.js";

export type { ToolCapabilities };

const pick = (help: ParsedHelp, ...candidates: string[]): string | undefined =>
  candidates.find((c) => help.accepted.includes(c));

export function toolCapabilities(tool: LlamaTool, help: ParsedHelp): ToolCapabilities {
  const hasDraftSimple = help.specTypes.includes("draft-simple");
  const fa = pick(help, "-fa", "--flash-attn");
  const caps: ToolCapabilities = {
    draftModel: pick(help, "--spec-draft-model", "-md", "--model-draft"),
    draftMax: pick(help, "--spec-draft-n-max", "--draft-max", "--draft", "--draft-n"),
    draftMin: pick(help, "--spec-draft-n-min", "--draft-min", "--draft-n-min"),
    pMin: pick(help, "--spec-draft-p-min", "--draft-p-min"),
    // `--spec--draft-p-split` is the spelling of 2026-04-28 to 04-30 (a typo, fixed in c20c44514)
    pSplit: pick(help, "--spec-draft-p-split", "--spec--draft-p-split", "--draft-p-split"),
    draftGpuLayers: pick(help, "--spec-draft-ngl", "-ngld", "--gpu-layers-draft", "--n-gpu-layers-draft"),
    gpuLayers: pick(help, "-ngl", "--gpu-layers", "--n-gpu-layers"),
    ...(fa === undefined ? {} : { flashAttn: { flag: fa, takesValue: help.valued.includes(fa) } }),
    // llama-speculative has its own drafting loop and ignores --spec-type (REFERENCE §4).
    specTypeDraftSimple: hasDraftSimple && tool !== "llama-speculative",
    ...(help.specTypes.length === 0 || tool === "llama-speculative"
      ? {}
      : { specTypes: help.specTypes.filter((t) => t !== "none") }),
    noConversation: pick(help, "-no-cnv", "--no-conversation"),
    parallel: pick(help, "-np", "--parallel"),
    sequences: pick(help, "-ns", "--sequences"),
  };
  // Per-request speculative fields were disabled in the same change that added `draft-simple` to
  // --spec-type (68e7ea3ea), so the spec-type list dates the server exactly enough.
  if (tool === "llama-server") caps.perRequestSpeculative = !hasDraftSimple;
  for (const k of Object.keys(caps) as (keyof ToolCapabilities)[]) {
    if (caps[k] === undefined) delete caps[k];
  }
  return caps;
}
