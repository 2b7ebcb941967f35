// The llama.cpp programs specgrid runs: one list, which the engine traits name their tools from, the probe
// reads --help of, `specgrid parse` parses, and `specgrid llama build` builds.

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

/**
 * What `specgrid llama build` builds: the tools, and llama-cli, whose one-line timing output `specgrid parse`
 * reads as a llama-completion run's (docs/parse.md) though no engine runs it.
 */
export const LLAMA_BUILD_TARGETS = [...LLAMA_TOOLS, "llama-cli"] as const;
