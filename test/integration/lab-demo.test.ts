// A small version of `specgrid demo`: the lab family (160 MiB target, draft-d20, the control) through the
// embedded stack (nats-server, coordinator, agent, in-process engine) into SQLite and the report, then the
// demo's claims checked from the stored results and the report's own answers (test/support/lab-demo-claims):
// the aligned pair pays at T = 0 with its interval above 1 and the report enables it with a K; acceptance
// falls with temperature beyond the spread between prompts; the control is slower than the baseline; the
// break-even acceptance lies between the control's and the aligned pair's. The moderately aligned pair's
// interior best K needs the full K grid: it is checked on the full demo (docs/models.md has the figures).
// The speed-sensitive claims (the aligned pair's interval above 1, the break-even from the fitted draft cost)
// are printed, never asserted: timing does not belong in tests on shared machines (at a load average of 20 on
// 2 cores the aligned pair's interval was [0.54, 2.93] at n = 3, and beside the rest of the suite, with no
// cell marked contended, 1.02x [0.69, 1.51]); the full demo and test/support/check-lab-demo.ts check them.
// Acceptance falling with temperature and the control's slowdown hold under any load and are asserted.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../cli/store/open-store.js";
import { runEmbedded, type RunEmbeddedResult } from "../../cli/workflows/run-embedded.js";
import { synthesizeLabFamily } from "../../core/gguf/synth-lab-family.js";
import { contendedCells, labDemoClaims } from "../support/lab-demo-claims.js";

let dir: string;
let result: RunEmbeddedResult;

const MANIFEST = {
  name: "lab-demo-small",
  models: {
    target: { file: "target.gguf" },
    "draft-d20": { file: "draft-d20.gguf" },
    "draft-control": { file: "draft-control.gguf" },
  },
  pairs: [
    { target: "target", draft: "draft-d20" },
    { target: "target", draft: "draft-control" },
  ],
  prompts: ["The quick brown fox jumps over", "Once upon a time there was", "In the morning the"],
  sweep: { k: [4], temperature: [0, 1.5], n_predict: 16, repeats: 1, seed: 42 },
  baseline: true,
  engine: "in-process",
  llama: { gpu_layers: 0, ctx: 256, threads: 1 },
};

describe("the lab demo's claims, from a small demo sweep's database and report", () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "specgrid-lab-demo-"));
    const models = path.join(dir, "models");
    await synthesizeLabFamily({ outDir: models, seed: 1, draftDepths: [20] });
    const manifest = path.join(dir, "demo.json");
    await writeFile(manifest, JSON.stringify(MANIFEST, null, 2));
    result = await runEmbedded({
      manifest,
      agents: 1,
      modelDirs: [models],
      engine: "in-process",
      dbFile: path.join(dir, "specgrid.sqlite"),
      outDir: dir,
      write: () => undefined,
      tty: false,
    });
  }, 600_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs every cell valid and writes the report", () => {
    expect(result.status.state).toBe("done");
    expect(result.status.cells.valid).toBe(result.status.cells.total);
    expect(result.report_files.some((f) => f.endsWith("report.md"))).toBe(true);
  });

  it("holds the demo's load-independent claims (the speed-sensitive ones are printed)", () => {
    const store = openStore(result.db);
    try {
      const claims = labDemoClaims(store, result.sweep_id, {
        aligned: "target+draft-d20",
        control: "target+draft-control",
      });
      expect(claims.length).toBe(4);
      const { contended, total } = contendedCells(store, result.sweep_id);
      expect(total).toBe(result.status.cells.total);
      const asserted = claims.filter((c) => !c.needsQuietHost);
      expect(asserted.length).toBeGreaterThanOrEqual(2);
      for (const c of claims.filter((x) => !asserted.includes(x)))
        console.warn(
          `speed claim, not asserted (${contended}/${total} results contended): ${c.claim}: ${c.figures}; holds: ${c.holds}`,
        );
      for (const c of asserted) expect(c.holds, `${c.claim}: ${c.figures}`).toBe(true);
    } finally {
      store.close();
    }
  });
});
