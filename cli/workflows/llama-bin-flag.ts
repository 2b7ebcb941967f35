// --llama-bin, spelled the same by every command that runs or probes llama.cpp: the flag, then
// SPECGRID_LLAMA_BIN, then the build `specgrid llama build` left in the cache (llamaBinFor picks it).
import { Flags } from "@oclif/core";

/** The --llama-bin flag; `forWhat` says what the command uses the build for. */
export function llamaBinFlag(forWhat = "for the llama.cpp engines") {
  return Flags.string({
    description:
      `llama.cpp build directory (llama-server, llama-speculative, ...) ${forWhat} ` +
      "[default: the build of 'specgrid llama build']",
    env: "SPECGRID_LLAMA_BIN",
  });
}
