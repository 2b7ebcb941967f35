// `run` and `reproduce` do not report on a sweep with results missing from their database: they pull again
// until the database holds what the coordinator counted, say so when they wait, and give up after a bound.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { openStore } from "../../cli/store/open-store.js";
import { awaitCounted, missingResultsWarning } from "../../cli/workflows/pull-results.js";
import { fakeSweep } from "../support/fake-results.js";

const dir = mkdtempSync(path.join(tmpdir(), "specgrid-await-counted-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sweepId = "sw-counted";
const { results } = fakeSweep({ seed: 2, sweepId, repeats: 1, prompts: 1, concurrency: [] });

it("pulls again until the database holds every counted result, saying how many it waits for", async () => {
  const store = openStore(path.join(dir, "late.sqlite"));
  try {
    store.ingestResults(results.slice(0, 4));
    const late = [results.slice(4, 8), results.slice(8)];
    const waited: number[] = [];
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
      { onWait: (missing) => waited.push(missing) },
    );
    expect(stored).toBe(results.length);
    expect(pulls).toBe(2);
    expect(waited).toEqual([results.length - 4]);
  } finally {
    store.close();
  }
});

it("gives up after its wait with what is stored; a complete database costs no pull", async () => {
  const store = openStore(path.join(dir, "short.sqlite"));
  try {
    store.ingestResults(results.slice(0, 3));
    let pulls = 0;
    const pull = async () => {
      pulls++;
      await new Promise((r) => setTimeout(r, 20));
    };
    const stored = await awaitCounted(store, sweepId, 5, pull, { waitMs: 100 });
    expect(stored).toBe(3);
    expect(pulls).toBeGreaterThan(0);
    expect(missingResultsWarning(stored, 5, "pull them")).toBe(
      "2 of the 5 results the coordinator counted are not in the database; pull them",
    );

    pulls = 0;
    const waited: number[] = [];
    expect(await awaitCounted(store, sweepId, 3, pull, { onWait: (m) => waited.push(m) })).toBe(3);
    expect(pulls).toBe(0);
    expect(waited).toEqual([]);
  } finally {
    store.close();
  }
});
