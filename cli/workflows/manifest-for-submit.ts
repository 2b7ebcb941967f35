// What the client sends at submit: the manifest checked here first (every problem reported before anything
// is sent), with prompt files and suites replaced by their texts (with their categories), since the
// coordinator cannot read the client's files and may run another version's suite.
import { parseDocument } from "yaml";
import path from "node:path";
import { loadManifest, parseManifest, type LoadManifestOptions } from "../../core/manifest/load-manifest.js";
import type { Manifest, ManifestEngine } from "../../core/manifest/manifest.js";
import type { SubmitSweepRequest } from "../../core/wire/generated.js";

/**
 * `engine`, when given and different from the manifest's, replaces it (`specgrid run --engine`), and the
 * manifest is checked again under that engine (adaptive K, for one, needs in-process).
 */
export async function manifestForSubmit(
  file: string,
  opts: LoadManifestOptions = {},
  engine?: ManifestEngine,
): Promise<SubmitSweepRequest> {
  let manifest: Manifest = await loadManifest(file, opts);
  let text = manifest.sourceText;
  if (engine !== undefined && engine !== manifest.engine) {
    const edited = parseDocument(manifest.sourceText);
    edited.set("engine", engine);
    text = edited.toString();
    manifest = parseManifest(
      text,
      `${file} (with engine: ${engine})`,
      path.dirname(path.resolve(file)),
      opts,
    );
  }
  const doc = parseDocument(text);
  const prompts = manifest.prompts.map((p) => p.text);
  // a prompt keeps its category (suite prompts, { text, category } entries) so the cells carry it
  doc.set(
    "prompts",
    manifest.prompts.map((p) => (p.category === undefined ? p.text : { text: p.text, category: p.category })),
  );
  return { manifestYaml: doc.toString(), manifestName: path.basename(file), prompts };
}
