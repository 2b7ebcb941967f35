// The timing block libllama and common print at the end of a run (`common_perf_print:` for the
// target context, `llama_perf_context_print:` for a draft context or llama-simple). Verification
// batches count as "prompt eval" in speculative tools, so the target's `eval` line there is ~0 ms.

import { readNumber } from "./read-number.js";

export type PerfSource = "common_perf_print" | "llama_perf_context_print";

/** One perf block, every figure as printed; nan/inf figures are left out. */
export interface PerfStats {
  loadMs?: number;
  samplingMs?: number;
  promptEvalMs?: number;
  promptEvalTokens?: number;
  promptEvalTps?: number;
  evalMs?: number;
  evalRuns?: number;
  evalTps?: number;
  totalMs?: number;
  totalTokens?: number;
  graphsReused?: number;
}

const NUM = String.raw`(-?nan|-?inf|-?\d+(?:\.\d+)?)`;

/** Read the perf lines with the given prefix; returns undefined when there is none. */
export function parsePerfPrint(lines: readonly string[], source: PerfSource): PerfStats | undefined {
  const head = String.raw`^${source}:\s+`;
  const rules: [RegExp, (m: RegExpExecArray, s: PerfStats) => void][] = [
    [new RegExp(`${head}load time =\\s+${NUM} ms$`), (m, s) => set(s, "loadMs", m[1])],
    [new RegExp(`${head}sampling time =\\s+${NUM} ms$`), (m, s) => set(s, "samplingMs", m[1])],
    [
      new RegExp(
        `${head}prompt eval time =\\s+${NUM} ms /\\s+(\\d+) tokens \\(\\s*${NUM} ms per token,\\s+${NUM} tokens per second\\)$`,
      ),
      (m, s) => {
        set(s, "promptEvalMs", m[1]);
        set(s, "promptEvalTokens", m[2]);
        set(s, "promptEvalTps", m[4]);
      },
    ],
    [
      new RegExp(
        `${head}eval time =\\s+${NUM} ms /\\s+(\\d+) runs\\s+\\(\\s*${NUM} ms per token,\\s+${NUM} tokens per second\\)$`,
      ),
      (m, s) => {
        set(s, "evalMs", m[1]);
        set(s, "evalRuns", m[2]);
        set(s, "evalTps", m[4]);
      },
    ],
    [
      new RegExp(`${head}total time =\\s+${NUM} ms /\\s+(\\d+) tokens$`),
      (m, s) => {
        set(s, "totalMs", m[1]);
        set(s, "totalTokens", m[2]);
      },
    ],
    [new RegExp(`${head}graphs reused =\\s+(\\d+)$`), (m, s) => set(s, "graphsReused", m[1])],
  ];
  const stats: PerfStats = {};
  let seen = false;
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (!line.startsWith(`${source}:`)) continue;
    seen = true;
    for (const [pattern, apply] of rules) {
      const match = pattern.exec(line);
      if (match) {
        apply(match, stats);
        break;
      }
    }
  }
  return seen ? stats : undefined;
}

function set(stats: PerfStats, key: keyof PerfStats, text: string | undefined): void {
  const value = readNumber(text);
  if (value !== undefined) stats[key] = value;
}
