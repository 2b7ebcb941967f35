// The coordinator's manifest parsing and planning, wired to core. Prompts arrive inline (the client read
// the prompt files), so parsing needs no files; planning is core planSweep unchanged.
import os from "node:os";
import { parse } from "yaml";
import { ManifestError } from "../../core/errors.js";
import { parseManifest } from "../../core/manifest/load-manifest.js";
import { planSweep } from "../../core/plan/plan-sweep.js";
import type { ParseManifestFn, PlanSweepFn } from "./coordinator-options.js";

export function coordinatorPlanning(
  opts: { targetShardMs?: number; maxCells?: number; maxPromptBytes?: number } = {},
): {
  parseManifest: ParseManifestFn;
  planSweep: PlanSweepFn;
} {
  return {
    parseManifest: (text, file) => {
      // a prompt file here would be read from the coordinator's disk: refuse it, clients inline prompts
      const raw = parse(text) as { prompts?: unknown } | null;
      const isFile = (p: unknown): boolean => typeof p === "object" && p !== null && "file" in p;
      if (Array.isArray(raw?.prompts) && raw.prompts.some(isFile)) {
        throw new ManifestError(file, [
          {
            path: "prompts",
            message:
              "prompts must arrive inline; submit with `specgrid sweep submit`, which reads prompt files",
          },
        ]);
      }
      return parseManifest(text, file, os.tmpdir(), {
        ...(opts.maxCells === undefined ? {} : { maxCells: opts.maxCells }),
        ...(opts.maxPromptBytes === undefined ? {} : { maxPromptBytes: opts.maxPromptBytes }),
      });
    },
    planSweep: (manifest) => planSweep(manifest, { targetShardMs: opts.targetShardMs }),
  };
}
