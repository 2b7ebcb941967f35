// Flags that loosen the manifest loader's guards, shared by every command that reads a manifest, so the
// limits' error messages can name one way to raise them.
import { Flags } from "@oclif/core";
import type { LoadManifestOptions } from "../../core/manifest/load-manifest.js";

export const manifestFlags = {
  "allow-outside-prompts": Flags.boolean({
    description: "let `prompts: { file }` point outside the manifest's folder",
  }),
  "max-cells": Flags.integer({
    description: "refuse grids with more cells than this (guards against a typo multiplying a grid)",
    min: 1,
    default: 1_000_000,
  }),
  "max-prompt-bytes": Flags.integer({
    description: "refuse prompts longer than this many UTF-8 bytes",
    min: 1,
    default: 65_536,
  }),
};

export function manifestOptions(flags: {
  "allow-outside-prompts"?: boolean;
  "max-cells": number;
  "max-prompt-bytes": number;
}): LoadManifestOptions {
  return {
    allowOutsidePrompts: flags["allow-outside-prompts"] ?? false,
    maxCells: flags["max-cells"],
    maxPromptBytes: flags["max-prompt-bytes"],
  };
}
