// What the client sends at submit: the manifest checked here first (every problem reported before anything
// is sent), with prompt files replaced by their texts, since the coordinator cannot read the client's files.
import { parseDocument } from "yaml";
import path from "node:path";
import { loadManifest, type LoadManifestOptions } from "../../core/manifest/load-manifest.js";
import type { SubmitSweepRequest } from "../../proto/gen/specgrid/v1/coordinator.js";

export async function manifestForSubmit(
  file: string,
  opts: LoadManifestOptions = {},
): Promise<SubmitSweepRequest> {
  const manifest = await loadManifest(file, opts);
  const doc = parseDocument(manifest.sourceText);
  const prompts = manifest.prompts.map((p) => p.text);
  doc.set("prompts", prompts);
  return { manifestYaml: doc.toString(), manifestName: path.basename(file), prompts };
}
