// Maps a model named by the coordinator (sha256, or a bare file name before resolution) onto a file in
// this agent's inventory. The result is always inside a configured model directory: names with path
// parts are refused, and the real path is checked again at resolution time in case a symlink changed.
import { realpath } from "node:fs/promises";
import path from "node:path";
import { RejectedParameterError } from "../../core/errors.js";
import type { ModelRef } from "../../core/cell.js";
import type { ModelFile } from "./scan-models.js";

function inside(root: string, file: string): boolean {
  return file.startsWith(root + path.sep);
}

export async function resolveModelPath(
  ref: ModelRef,
  inventory: ModelFile[],
  dirs: string[],
): Promise<string> {
  if (
    ref.file !== undefined &&
    (ref.file.includes("/") || ref.file.includes("\\") || ref.file.includes(".."))
  ) {
    throw new RejectedParameterError(
      `model ${ref.name}: file name "${ref.file}" contains a path; models are named by file name or sha256 only`,
      { model: ref.name, file: ref.file },
    );
  }
  if (ref.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(ref.sha256)) {
    throw new RejectedParameterError(`model ${ref.name}: "${ref.sha256}" is not a sha256 hex digest`, {
      model: ref.name,
    });
  }
  const match =
    ref.sha256 !== undefined
      ? inventory.find((m) => m.sha256 === ref.sha256)
      : inventory.find((m) => m.file === ref.file);
  if (!match) {
    const what = ref.sha256 !== undefined ? `sha256 ${ref.sha256}` : `file ${ref.file ?? "(none)"}`;
    throw new RejectedParameterError(
      `model ${ref.name} (${what}) is not in this agent's model directories; copy it into one of: ${dirs.join(", ")}`,
      { model: ref.name },
    );
  }
  const roots = await Promise.all(dirs.map((d) => realpath(d).catch(() => undefined)));
  const real = await realpath(match.path);
  if (!roots.some((r) => r !== undefined && inside(r, real))) {
    throw new RejectedParameterError(
      `model ${ref.name} resolves to ${real}, outside the configured model directories`,
      {
        model: ref.name,
      },
    );
  }
  return real;
}
