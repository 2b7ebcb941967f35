// The flag spellings one llama.cpp tool accepts, as agents/probe reads them from its --help. Agents send it
// with their registration (LlamaBuild.capabilities_json), engines build argv from it, and placement checks a
// host's tools against what a shard's cells need (services/coordinator/host-eligibility.ts).
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
  /**
   * The `--spec-type` values the build lists (core/spec-types.ts), `none` left out; absent when the tool
   * has no `--spec-type` (it drafts with a draft model only).
   */
  specTypes?: string[];
  /** Turns off chat mode on llama-completion (`-no-cnv`); absent on llama-cli. */
  noConversation?: string;
  /** llama-server: per-request `speculative.*` fields are honoured (builds before 2026-05-11). */
  perRequestSpeculative?: boolean;
  /** llama-server slot count / llama-parallel clients, and llama-parallel sequence count. */
  parallel?: string;
  sequences?: string;
}
