// `specgrid run` does not report a sweep done with results missing from its database: it pulls again until
// the database holds what the coordinator counted, and says so when it waits and when it gives up.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { openStore } from "../../cli/store/open-store.js";
import { awaitCounted } from "../../cli/workflows/run-embedded.js";
import { fakeSweep } from "../support/fake-results.js";

const dir = mkdtempSync(path.join(tmpdir(), "specgrid-await-counted-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sweepId = "sw-counted";
const { results } = fakeSweep({ seed: 2, sweepId, repeats: 1, prompts: 1, concurrency: [] });

it("pulls again until the database holds every counted result, writing that it waits", async () => {
  const store = openStore(path.join(dir, "late.sqlite"));
  try {
    store.ingestResults(results.slice(0, 4));
    const late = [results.slice(4, 8), results.slice(8)];
    const lines: string[] = [];
    let pulls = 0;
    const stored = await awaitCounted(
      store,
      sweepId,
      results.length,
      () => {
        pulls++;
        store.ingestResults(late.shift() ?? []);
        return Promise.resolve();
      },
      (t) => lines.push(t),
    );
    expect(stored).toBe(results.length);
    expect(pulls).toBe(2);
    expect(lines).toEqual([
      `waiting for ${results.length - 4} result(s) the coordinator counted to reach ${store.file}\n`,
    ]);
  } finally {
    store.close();
  }
});

it("gives up after its wait and names how many are missing; a complete database costs no pull", async () => {
  const store = openStore(path.join(dir, "short.sqlite"));
  try {
    store.ingestResults(results.slice(0, 3));
    const lines: string[] = [];
    let pulls = 0;
    const pull = async () => {
      pulls++;
      await new Promise((r) => setTimeout(r, 20));
    };
    const stored = await awaitCounted(store, sweepId, 5, pull, (t) => lines.push(t), 100);
    expect(stored).toBe(3);
    expect(pulls).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(
      /^warning: 2 of the 5 results the coordinator counted are not in the database/,
    );

    pulls = 0;
    lines.length = 0;
    expect(await awaitCounted(store, sweepId, 3, pull, (t) => lines.push(t))).toBe(3);
    expect(pulls).toBe(0);
    expect(lines).toEqual([]);
  } finally {
    store.close();
  }
});
