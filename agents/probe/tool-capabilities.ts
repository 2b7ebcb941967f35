// Turns one tool's --help into the spellings the engines must use with that build. Engines never hard-code
// a speculative flag: they ask this map, and a build that lacks a needed flag is reported, not guessed at.
import type { ParsedHelp } from "./parse-llama-help.js";

/** The llama.cpp programs specgrid knows how to probe. */
export const LLAMA_TOOLS = [
  "llama-server",
  "llama-speculative",
  "llama-speculative-simple",
  "llama-completion",
  "llama-parallel",
  "llama-bench",
  "llama-batched-bench",
] as const;
export type LlamaTool = (typeof LLAMA_TOOLS)[number];

export interface ToolCapabilities {
  /** Draft model flag: `--spec-draft-model` on current builds, `-md` on older ones. */
  draftModel?: string;
  /** Draft max (K): `--spec-draft-n-max` since 2026-04-28, `--draft-max` before. */
  draftMax?: string;
  draftMin?: string;
  /** `--spec-draft-p-min` (current) or `--draft-p-min` (older). */
  pMin?: string;
  /** llama-speculative's tree split probability: `--spec-draft-p-split` (current) or `--draft-p-split`. */
  pSplit?: string;
  draftGpuLayers?: string;
  gpuLayers?: string;
  /** Flash attention flag, and whether it takes on|off|auto (current) or is a bare switch (older). */
  flashAttn?: { flag: string; takesValue: boolean };
  /** `--spec-type draft-simple` must accompany the draft model, or the tool does not speculate (§3, §8.6). */
  specTypeDraftSimple: boolean;
  /** Turns off chat mode on llama-completion (`-no-cnv`); absent on llama-cli. */
  noConversation?: string;
  /** llama-server: per-request `speculative.*` fields are honoured (builds before 2026-05-11). */
  perRequestSpeculative?: boolean;
  /** llama-server slot count / llama-parallel clients, and llama-parallel sequence count. */
  parallel?: string;
  sequences?: string;
}

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
