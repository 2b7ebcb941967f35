// The verdict the report opens with: enable only where a stable setting's interval lies above 1, say
// "do not enable" where stable data says no, and "not enough stable data" where contention or noise leaves
// nothing to decide from; the report and report.md open with it, before the charts and the answers.
import { describe, expect, it } from "vitest";

import { analyzeSweep } from "../../cli/report/analyze-sweep.js";
import { renderMarkdown } from "../../cli/report/report-document.js";
import { verdictRow, verdicts, VERDICT_HEADERS } from "../../cli/report/verdict-table.js";
import { fakeSweep } from "../support/fake-results.js";
import {
  CONTENDED_NOISE,
  editMetrics,
  noneAccepted,
  QUIET_NOISE,
  reportDocumentOf,
  storedResults,
} from "../support/stored-results.js";

describe("the verdict per host and pair", () => {
  const d = fakeSweep({ seed: 9, concurrency: [] });
  // host-l4 ran beside a CPU hog; on host-a100 the misaligned draft had none of its tokens accepted
  const results = editMetrics(d, (m, cell, r) => ({
    ...(r.hostId === "host-a100" && cell?.draft?.name === "other-1b" ? noneAccepted(m) : {}),
    noise: r.hostId === "host-l4" ? CONTENDED_NOISE : QUIET_NOISE,
  }));
  const a = analyzeSweep("sw", storedResults(d, results));
  const vs = verdicts(a);
  const of = (host: string, draft: string) =>
    vs.find((v) => v.hostId === host && v.method === `llama2-7b+${draft}`)!;

  it("enables an aligned pair on a quiet host with the K and temperatures that pay", () => {
    const v = of("host-a100", "tinyllama-1.1b");
    expect(v.kind).toBe("enable");
    expect(v.best!.speedupCi95![0]).toBeGreaterThan(1);
    expect(v.text).toMatch(/^enable with K=\d+ for T=0/);
    const row = verdictRow(v);
    expect(row).toHaveLength(VERDICT_HEADERS.length);
    expect(row[0]).toBe("llama2-7b");
    expect(row[1]).toMatch(new RegExp(`^llama2-7b\\+tinyllama-1\\.1b, K=${v.best!.k}, T=`));
    expect(row[2]).toMatch(/^\d+\.\d\dx \[\d+\.\d\d, \d+\.\d\d\]$/);
    expect(row[3]).toMatch(/^\d+\.\d%$/);
  });

  it("does not enable a draft none of whose tokens were accepted", () => {
    const v = of("host-a100", "other-1b");
    expect(v.kind).toBe("do-not-enable");
    expect(v.text).toMatch(/accepted none/);
  });

  it("says not enough stable data for every pair on the contended host", () => {
    for (const draft of ["tinyllama-1.1b", "other-1b"]) {
      const v = of("host-l4", draft);
      expect(v.kind).toBe("not-enough-stable-data");
      expect(v.unstable).toBe(v.settings);
      expect(verdictRow(v)[2]).toBe("n/a");
      expect(v.text).toMatch(/^not enough stable data: of \d+ setting\(s\), \d+ ran under contention;/);
    }
  });

  it("says not enough stable data where no setting met sweep.precision", () => {
    const imprecise = {
      ...a,
      speculative: a.speculative.map((g) =>
        g.hostId === "host-a100" && g.draft === "tinyllama-1.1b"
          ? { ...g, precision: { relCi: 0.2, asked: 0.05, met: false, repeats: 6 } }
          : g,
      ),
    };
    const v = verdicts(imprecise).find(
      (x) => x.hostId === "host-a100" && x.method === "llama2-7b+tinyllama-1.1b",
    )!;
    expect(v.kind).toBe("not-enough-stable-data");
    expect(v.text).toMatch(/\d+ never became stable \(sweep\.precision\)/);
  });

  /** host-a100's misaligned pair cut down to settings with these speedups and intervals (tokens accepted). */
  const control = (...settings: Array<[number, [number, number]]>) => {
    const mine = a.speculative.filter((g) => g.hostId === "host-a100" && g.draft === "other-1b");
    expect(mine.length).toBeGreaterThanOrEqual(settings.length);
    const kept = settings.map(([speedup, ci], i) => ({
      ...mine[i]!,
      noneAccepted: false,
      speedup,
      speedupCi95: ci,
    }));
    const rest = a.speculative.filter((g) => !mine.includes(g));
    return verdicts({ ...a, speculative: [...rest, ...kept] }).find(
      (v) => v.hostId === "host-a100" && v.method === "llama2-7b+other-1b",
    )!;
  };

  it("does not enable a misaligned control that is slower, though another of its settings is noisy", () => {
    // 0.15x [0.14, 0.17] is stable and wholly below 1; 0.8x [0.4, 1.3] spans more than a factor 1.5
    const v = control([0.15, [0.14, 0.17]], [0.8, [0.4, 1.3]]);
    expect(v.kind).toBe("do-not-enable");
    expect(v.unstable).toBe(1);
    expect(v.best!.speedup).toBe(0.15);
    expect(v.text).toBe(
      "do not enable: every stable setting is slower than the target alone (95% interval below 1); of 2 setting(s), 1 too noisy",
    );
    expect(verdictRow(v)[2]).toBe("0.15x [0.14, 0.17]");
  });

  it("says not enough stable data only when no stable setting decides", () => {
    // the stable setting's interval contains 1: only the noisy one could settle the pair
    const v = control([0.98, [0.95, 1.02]], [0.8, [0.4, 1.3]]);
    expect(v.kind).toBe("not-enough-stable-data");
    expect(v.text).toMatch(/^not enough stable data: of 2 setting\(s\), 1 too noisy;/);
    // and with nothing unstable, a stable pair that does not pay is not enabled
    expect(control([0.98, [0.95, 1.02]], [0.9, [0.85, 0.99]]).kind).toBe("do-not-enable");
  });

  it("opens the report, before the charts, the answers and the detail tables, in report.md too", () => {
    const doc = reportDocumentOf(d, a);
    const first = doc.blocks.findIndex((b) => b.kind === "table");
    expect(doc.blocks[0]).toEqual({ kind: "heading", level: 1, text: "Verdict" });
    expect(doc.blocks[first]).toMatchObject({ role: "verdict", headers: [...VERDICT_HEADERS] });
    const md = renderMarkdown(doc);
    const at = (s: string): number => {
      const i = md.indexOf(s);
      expect(i, s).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at("## Verdict")).toBeLessThan(at("### Verdict: host-l4"));
    expect(at("### Verdict: host-l4")).toBeLessThan(at("![")); // first chart
    expect(at("![")).toBeLessThan(at("## Answers"));
    expect(at("## Answers")).toBeLessThan(at("## Tables"));
    expect(md).toContain("| not enough stable data:");
  });
});
