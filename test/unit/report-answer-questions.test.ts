// Each report question is its own module (cli/report/answers/), listed once in REPORT_QUESTIONS: every one
// answers in the same shape (a one-sentence headline with its number, the derivation, a status and why),
// its headline figure is the analysis's own, and its status says when the data is too noisy to answer.
import { describe, expect, it } from "vitest";

import { analyzeSweep } from "../../cli/report/analyze-sweep.js";
import { answerQuestions, REPORT_QUESTIONS } from "../../cli/report/answer-questions.js";
import { answerContext } from "../../cli/report/answers/answer-context.js";
import { answerQuestion, type Answer } from "../../cli/report/answers/answer.js";
import { formatNumber, formatPct } from "../../cli/report/format-number.js";
import { renderHtml, renderMarkdown } from "../../cli/report/report-document.js";
import type { SweepAnalysis } from "../../cli/report/sweep-analysis.js";
import { fakeSweep, type FakeSweepOptions } from "../support/fake-results.js";
import {
  CONTENDED_NOISE,
  editMetrics,
  QUIET_NOISE,
  reportDocumentOf,
  storedResults,
} from "../support/stored-results.js";

const analysed = (opts: FakeSweepOptions): SweepAnalysis => {
  const d = fakeSweep(opts);
  return analyzeSweep("sw", storedResults(d));
};
const find = (answers: Answer[], id: string): Answer => answers.find((x) => x.id === id)!;

describe("REPORT_QUESTIONS", () => {
  const a = analysed({ seed: 11 });
  const answers = answerQuestions(a);

  it("lists each question once, in the report's order, and answerQuestions asks every one", () => {
    const ids = REPORT_QUESTIONS.map((q) => q.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(answers.map((x) => x.id)).toEqual(ids);
    expect(ids).toEqual([
      "baseline-tps",
      "speedup-vs-theory",
      "acceptance",
      "best-k",
      "next-k",
      "temperature-acceptance",
      "temperature-stops-paying",
      "break-even",
      "aligned-vs-misaligned",
      "batching",
      "memory",
    ]);
  });

  it.each(REPORT_QUESTIONS.map((q) => [q.id, q] as const))(
    "%s answers in one sentence with a number, then its derivation",
    (_id, q) => {
      const ans = answerQuestion(q, answerContext(a));
      expect(ans.title).toBe(q.title);
      expect(ans.short).toMatch(/^[A-Z0-9].*\d.*\.$/);
      expect(ans.short).not.toContain("\n");
      expect(["answered", "partly-noisy", "too-noisy"]).toContain(ans.status);
      expect(ans.details.length).toBeGreaterThan(0);
      expect(ans.numbers.length).toBeGreaterThan(0);
      // a status other than answered always says why, and the noise list backs it
      if (ans.status === "answered") {
        expect(ans.reason).toBeUndefined();
        expect(ans.tooNoisy).toEqual([]);
      } else {
        expect(ans.reason).toMatch(/^\d+ of \d+ .* cannot answer \(\d+ figures? /);
        expect(ans.tooNoisy.length).toBeGreaterThan(0);
      }
    },
  );

  it("puts the analysis's own figures in the headlines", () => {
    // the fastest baseline: Σ mean·n / Σ n over the host's temperatures
    const pooled = a.hostIds.map((h) => {
      const gs = a.baselines.filter((b) => b.hostId === h);
      const n = gs.reduce((s, g) => s + g.decodeTps.n, 0);
      return gs.reduce((s, g) => s + g.decodeTps.mean * g.decodeTps.n, 0) / n;
    });
    const baseline = find(answers, "baseline-tps");
    expect(baseline.status).toBe("answered");
    expect(baseline.short).toContain(`${formatNumber(Math.max(...pooled), 1)} t/s`);
    expect(baseline.short).toContain(`${formatNumber(Math.min(...pooled), 1)} t/s`);

    // the highest pooled acceptance: Σ accepted / Σ drafted of one (host, pair, K, temperature)
    const rates = a.speculative.map((g) => g.acceptPooled.nAccept / g.acceptPooled.nDrafted);
    expect(find(answers, "acceptance").short).toContain(`from ${formatPct(Math.max(...rates))} (`);

    const theory = find(answers, "speedup-vs-theory");
    expect(theory.status).toBe("answered");
    const top = Math.max(...theory.numbers.map((n) => n.measuredSpeedup as number));
    expect(theory.short).toContain(`The best measured speedup is ${formatNumber(top)}x`);

    const memory = find(answers, "memory");
    const mib = Math.max(...memory.numbers.map((n) => n.measuredOverheadMib as number));
    expect(memory.short).toContain(`${formatNumber(mib, 1)} MiB`);
  });
});

describe("the other headlines", () => {
  const a = analysed({ seed: 11 });
  const answers = answerQuestions(a);

  it("cite the steepest α slope, the first pair's doubling and the aligned count", () => {
    const temp = find(answers, "temperature-acceptance");
    const slope = Math.max(...temp.numbers.map((n) => Math.abs(n.slopePerUnitT as number)));
    expect(temp.short).toContain(`by ${formatNumber(slope * 100, 1)} points per unit of temperature`);

    const next = find(answers, "next-k");
    const first = next.numbers[0]!;
    const tokens = (first.tokensPerStep2 as number) / (first.tokensPerStep1 as number) - 1;
    const cost = (first.cost2 as number) / (first.cost1 as number) - 1;
    expect(next.short).toContain(
      `Doubling K from ${String(first.k1)} to ${String(first.k2)} adds ${formatPct(tokens)} tokens per target step but ${formatPct(cost)}`,
    );

    // the misaligned pair's α lies within 0.05 of the line: borderline, so only the aligned one answers
    const aligned = find(answers, "aligned-vs-misaligned");
    expect(aligned.status).toBe("partly-noisy");
    const clear = aligned.numbers.filter((n) => Math.abs((n.alpha as number) - 0.5) >= 0.05);
    expect(aligned.short).toMatch(
      new RegExp(
        `^${clear.filter((n) => n.aligned === true).length} of the ${clear.length} pair\\(s\\) that answer are aligned`,
      ),
    );
  });

  it("count where speculation stops paying among the host/pairs that answer", () => {
    const stops = find(answers, "temperature-stops-paying");
    const settled = stops.details.filter((l) => !stops.tooNoisy.some((w) => w.startsWith(l.split(":")[0]!)));
    const still = settled.filter((l) => l.includes("still pays")).length;
    expect(stops.short).toContain(`Of the ${settled.length} host/pairs that answer, ${still} still pay`);
  });

  it("name the best K of the settings that can tell their K apart", () => {
    // little noise and many repeats: some settings' best K stands clear of the runner-up
    const clear = answerQuestions(analysed({ seed: 2, noise: 0.005, repeats: 6, ks: [1, 4] }));
    const best = find(clear, "best-k");
    expect(["answered", "partly-noisy"]).toContain(best.status);
    const distinct = best.numbers.filter((n) => n.distinguishable === true);
    expect(distinct.length).toBeGreaterThan(0);
    const top = distinct.reduce((x, y) => ((y.speedup as number) > (x.speedup as number) ? y : x));
    expect(best.short).toContain(`${formatNumber(top.speedup as number)}x`);
    expect(best.short).toContain(`K=${String(top.bestK)}`);
  });
});

describe("answers that know their limits", () => {
  it("say which host ran under contention, answer from the quiet one, and never call it 'no draft accepted'", () => {
    const d = fakeSweep({ seed: 9, concurrency: [1, 2] });
    const results = editMetrics(d, (_m, _cell, r) => ({
      noise: r.hostId === "host-l4" ? CONTENDED_NOISE : QUIET_NOISE,
    }));
    const answers = answerQuestions(analyzeSweep("sw", storedResults(d, results)));
    const baseline = find(answers, "baseline-tps");
    expect(baseline.status).toBe("partly-noisy");
    expect(baseline.reason).toMatch(
      /^1 of 2 host\/target baselines cannot answer \(\d+ figures ran under contention\)$/,
    );
    expect(baseline.short).toContain("host-a100");
    expect(baseline.short).not.toContain("host-l4");
    // every speedup answer names the contended host rather than leaving it out
    for (const id of ["speedup-vs-theory", "best-k", "temperature-stops-paying"]) {
      const ans = find(answers, id);
      expect(ans.status, id).toBe("partly-noisy");
      expect(ans.tooNoisy.join("\n"), id).toMatch(
        /host-l4, .*every setting with a speedup ran under contention/,
      );
    }
    const stops = find(answers, "temperature-stops-paying").details.filter((l) => l.startsWith("host-l4"));
    expect(stops.length).toBeGreaterThan(0);
    for (const l of stops) expect(l).toMatch(/ran under contention, so none answers\.$/);
  });

  it("say too noisy to answer, and why, where every group rests on one run", () => {
    const a = analysed({ seed: 8, repeats: 1, prompts: 1, concurrency: [1, 4], temperatures: [0] });
    const answers = answerQuestions(a);
    for (const id of ["baseline-tps", "speedup-vs-theory", "best-k", "batching"]) {
      const ans = find(answers, id);
      expect(ans.status, id).toBe("too-noisy");
      expect(ans.short, id).toMatch(
        /^Too noisy to answer: \d+ of \d+ .* cannot answer \(\d+ figures rest on fewer than 2 runs\)\.$/,
      );
    }
    // a question the sweep cannot ask at all is no-data, with no derivation
    const temp = find(answers, "temperature-acceptance");
    expect(temp.status).toBe("no-data");
    expect(temp.short).toBe("Fewer than two temperatures measured: no temperature effect to report.");
    expect(temp.details).toEqual([]);
  });

  it("answer batching for every draft, naming one with no run of the target alone to compare with", () => {
    const d = fakeSweep({ seed: 4, concurrency: [1, 2] });
    // host-l4 ran its batching cells only with the draft
    const alone = new Set(
      d.cells.filter((c) => c.kind === "parallel" && c.draft === undefined).map((c) => c.cellId),
    );
    const results = d.results.filter((r) => !(r.hostId === "host-l4" && alone.has(r.cellId)));
    const batching = find(answerQuestions(analyzeSweep("sw", storedResults(d, results))), "batching");
    expect(batching.details.map((l) => l.split(":")[0])).toEqual([
      "host-a100, llama2-7b+tinyllama-1.1b",
      "host-l4, llama2-7b+tinyllama-1.1b",
    ]);
    expect(batching.details[1]).toMatch(/no run without the draft at 1, 2 sequence\(s\) to compare with/);
    expect(batching.status).toBe("partly-noisy");
    expect(batching.reason).toBe(
      "1 of 2 drafts under batching cannot answer (1 figure has nothing to compare with)",
    );
    expect(batching.short).toContain("(host-a100, llama2-7b+tinyllama-1.1b)");
  });

  it("label a fitted α fitted in the break-even headline and its derivation", () => {
    const fitted = answerQuestions(analysed({ seed: 5, recordPositions: false, concurrency: [] }));
    const be = find(fitted, "break-even");
    expect(be.short).toMatch(/its α=\d\.\d{3} \(fitted to tokens per step\) is (above|below) it/);
    for (const text of [be.short, ...be.details]) {
      expect(text).not.toMatch(/measured α|α=[\d.]+ \(measured/);
      expect(text).toContain("fitted");
    }
    const measured = find(answerQuestions(analysed({ seed: 5, concurrency: [] })), "break-even");
    expect(measured.short).toMatch(/its α=\d\.\d{3} \(measured from accepted-by-position\)/);
  });
});

describe("answers in the report", () => {
  const d = fakeSweep({ seed: 11, concurrency: [1, 2] });
  const a = analyzeSweep("sw", storedResults(d));
  const answers = answerQuestions(a);
  const doc = reportDocumentOf(d, a);
  const headline = (x: Answer): string =>
    x.status === "partly-noisy" ? `${x.short} Partly too noisy: ${x.reason}.` : x.short;

  it("shows the headline under each question and the derivation in a details element in the HTML", () => {
    const html = renderHtml(doc, new Map());
    const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    for (const x of answers) {
      const at = html.indexOf(`>${esc(x.title)}</h3>`);
      expect(at, x.id).toBeGreaterThan(0);
      const after = html.slice(at);
      expect(after, x.id).toMatch(/^>[^<]*<\/h3>\s*<p>/);
      expect(after.slice(after.indexOf("<p>") + 3), x.id).toMatch(
        new RegExp(`^${esc(headline(x)).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}</p>\\s*<details><summary>`),
      );
      expect(after.split("</details>")[0], x.id).toContain(`<li>${esc(x.details[0]!)}</li>`);
    }
  });

  it("in report.md puts the headline first and the derivation in the list that follows, between charts and tables", () => {
    const md = renderMarkdown(doc);
    for (const x of answers)
      expect(md, x.id).toContain(`### ${x.title}\n\n${headline(x)}\n\n- ${x.details[0]}`);
    const at = (s: string): number => md.indexOf(s);
    expect(at("## Verdict")).toBeLessThan(at("## Charts"));
    expect(at("## Charts")).toBeLessThan(at("## Answers"));
    expect(at("## Answers")).toBeLessThan(at("## Tables"));
  });
});
