// The tiny-family grid (test/fixtures/manifests/tiny-grid.yaml, the demo's grid before the lab family) planned as the
// coordinator plans it, with its models mapped onto the tiny family's files (it names them by file name).
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ShardKey } from "../../core/cell.js";
import { loadManifest } from "../../core/manifest/load-manifest.js";
import { planSweep, type Plan } from "../../core/plan/plan-sweep.js";
import type { ResolvedModels } from "../../agents/engines/engine.js";
import { getModelFamily } from "../support/model-family.js";

const DEMO = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/manifests/tiny-grid.yaml",
);

export interface DemoPlan {
  plan: Plan;
  resolve: (key: ShardKey) => ResolvedModels;
}

export async function demoPlan(): Promise<DemoPlan> {
  const family = await getModelFamily();
  const plan = planSweep(await loadManifest(DEMO));
  const file = (m: { name: string; file?: string }): string =>
    path.join(family.dir, m.file ?? `${m.name}.gguf`);
  return {
    plan,
    resolve: (key) =>
      key.draft === undefined
        ? { targetPath: file(key.target) }
        : { targetPath: file(key.target), draftPath: file(key.draft) },
  };
}
