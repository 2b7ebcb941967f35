// The pasteable recommendation: the best paying configuration per host and target as the llama-server
// command line in the spellings the host's probed capability map records; none when nothing pays.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseLlamaHelp } from "../../agents/probe/parse-llama-help.js";
import { toolCapabilities } from "../../agents/probe/tool-capabilities.js";
import { recommendCommands } from "../../cli/report/recommend-command.js";
import type { SpeculativeGroup, SweepAnalysis } from "../../cli/report/sweep-analysis.js";
import type { HostSnapshot, StoredResult } from "../../cli/store/store-records.js";
import type { Cell } from "../../core/cell.js";
import { REPLAY_FIXTURES } from "../support/replay-llama.js";

const caps = (file: string) =>
  toolCapabilities("llama-server", parseLlamaHelp(readFileSync(path.join(REPLAY_FIXTURES, file), "utf8")));
const host = (file: string): HostSnapshot => ({
  hostId: "h1",
  gpus: [],
  labels: {},
  facts: {
    llamaBuilds: [{ binary: "llama-server", version: "x", capabilitiesJson: JSON.stringify(caps(file)) }],
  },
});

const llama = { gpuLayers: 99, ctx: 1024, flashAttn: "auto" as const, threads: 2 };
function cell(over: Partial<Cell>): Cell {
  return {
    cellId: "c",
    kind: "speculative",
    engine: "llama-server",
    target: { name: "t", file: "t.gguf" },
    temperature: 0,
    prompt: "p",
    promptHash: "h",
    promptIndex: 0,
    nPredict: 8,
    seed: 1,
    repeat: 0,
    llama,
    ...over,
  };
}
const result = (c: Cell): StoredResult =>
  ({
    hostId: "h1",
    cellId: c.cellId,
    status: "ok",
    cell: c,
    metrics: { decodeTps: 1 },
  }) as unknown as StoredResult;
function group(over: Partial<SpeculativeGroup>): SpeculativeGroup {
  return {
    hostId: "h1",
    pair: "t+d",
    target: "t",
    draft: "d",
    temperature: 0,
    k: 4,
    adaptive: false,
    pMin: 0,
    specType: "draft-simple",
    acceptPooled: { nAccept: 10, nDrafted: 20, runs: 2, rate: 0.5 },
    ...over,
  } as SpeculativeGroup;
}

describe("recommendCommands", () => {
  const draftCell = cell({
    cellId: "a",
    draft: { name: "d", file: "d.gguf" },
    k: { kind: "fixed", k: 4 },
    pMin: 0,
  });
  const ngramCell = cell({ cellId: "b", specType: "ngram-mod", specSettings: { "ngram-mod-n-match": 24 } });
  const groups = [
    group({ speedup: 1.3, speedupCi95: [1.1, 1.5] }),
    group({
      pair: "t [ngram-mod n-match=24]",
      draft: "none",
      k: 0,
      pMin: undefined,
      specType: "ngram-mod",
      specSettings: { "ngram-mod-n-match": 24 },
      speedup: 1.6,
      speedupCi95: [1.2, 2.1],
    }),
  ];

  it("prints the best paying method's command in the current build's spellings, with its figures", () => {
    const [rec] = recommendCommands(
      { speculative: groups } as unknown as SweepAnalysis,
      [result(draftCell), result(ngramCell)],
      [host("llama-server-help.txt")],
    );
    expect(rec!.argv).toEqual([
      "llama-server",
      "-m",
      "<models dir>/t.gguf",
      "-c",
      "1024",
      "-ngl",
      "99",
      "-t",
      "2",
      "--spec-type",
      "ngram-mod",
      "--spec-ngram-mod-n-match",
      "24",
    ]);
    expect(rec!.text).toMatch(/measured 1.60x, 95% CI \[1.20, 2.10\], at T=0/);
  });

  it("an older build gets its own spellings for the draft model", () => {
    const [rec] = recommendCommands(
      { speculative: [groups[0]!] } as unknown as SweepAnalysis,
      [result(draftCell)],
      [host("old-build/common-help.txt")],
    );
    expect(rec!.argv).toContain("-md");
    expect(rec!.argv).toContain("--draft-max");
    expect(rec!.argv).not.toContain("--spec-type");
  });

  it("says run without speculation when no interval lies above 1", () => {
    const [rec] = recommendCommands(
      { speculative: [group({ speedup: 1.2, speedupCi95: [0.9, 1.6] })] } as unknown as SweepAnalysis,
      [result(draftCell)],
      [host("llama-server-help.txt")],
    );
    expect(rec!.argv).toBeUndefined();
    expect(rec!.text).toMatch(/h1, t: run without speculation/);
  });

  it("names the paying configuration but recommends nothing when it ran under contention", () => {
    const contention = { runs: 4, measured: 4, contended: 4, maxLoadAvg1: 9, cores: 2 };
    const [rec] = recommendCommands(
      {
        speculative: [group({ speedup: 0.5, speedupCi95: [0.4, 0.6] }), { ...groups[1]!, contention }],
      } as unknown as SweepAnalysis,
      [result(draftCell), result(ngramCell)],
      [host("llama-server-help.txt")],
    );
    expect(rec!.argv).toBeUndefined();
    expect(rec!.text).toMatch(
      /h1, t: no recommendation: the best configuration whose 95% interval lies above 1, t \[ngram-mod n-match=24\] \(1.60x, 95% CI \[1.20, 2.10\], at T=0\), ran while the host was contended/,
    );
  });
});
