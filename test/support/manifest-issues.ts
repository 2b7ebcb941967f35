// The problems parseManifest reports for a manifest text, as `path: message` lines (none when it parses).
import { ManifestError } from "../../core/errors.js";
import { parseManifest } from "../../core/manifest/load-manifest.js";

export function manifestIssues(text: string): string[] {
  try {
    parseManifest(text, "m.yaml", "/nonexistent");
  } catch (err) {
    if (err instanceof ManifestError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}
