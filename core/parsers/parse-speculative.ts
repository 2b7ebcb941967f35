// llama-speculative and llama-speculative-simple print the same closing block on stderr
// (REFERENCE.md §3, §4): encoded/decoded lines, n_draft/n_predict/n_drafted/n_accept/accept, then
// `draft:` and `target:` perf blocks. The closing marker is the target's `graphs reused` line: when
// the async logger loses the tail at exit (rc still 0), that line is what goes missing first.

import { cleanLog } from "./clean-log.js";
import { detectErrors } from "./detect-errors.js";
import { dropUndefined } from "./drop-undefined.js";
import { listMissing } from "./list-missing.js";
import { parsePerfPrint, type PerfStats } from "./parse-perf-print.js";
import type { ParseResult } from "./parse-result.js";
import { readNumber, secondsToMs } from "./read-number.js";

/** Statistics of the `common_speculative` drafter, printed only at `-lv 4`. */
export interface SpeculativeDrafterStats {
  implementation: string;
  callsBegin: number;
  callsGenerate: number;
  callsAccept: number;
  genDrafts: number;
  accDrafts: number;
  genTokens: number;
  accTokens: number;
  meanAccLen?: number;
  /** Acceptance rate per draft position, as printed. */
  accRateByPosition?: number[];
  durBeginMs?: number;
  durGenerateMs?: number;
  durAcceptMs?: number;
}

/** Field names follow CellMetrics where they mean the same thing. */
export interface SpeculativeMetrics {
  /** `encoded N tokens`: prompt tokens (with BOS). */
  nPrompt?: number;
  /** `encoded … in T seconds`: prompt decode on target and draft plus speculator set-up, ms. */
  promptMs?: number;
  promptTps?: number;
  /** `decoded N tokens`: tokens emitted (usually a few more than -n). */
  nDecoded?: number;
  decodeMs?: number;
  decodeTps?: number;
  /** `n_draft`: the configured K (--spec-draft-n-max). */
  nDraftMax?: number;
  /** `n_predict`: the tool's own count of emitted tokens. */
  nPredict?: number;
  /** `n_drafted`: draft tokens proposed (llama-speculative with -np > 1 counts steps, not tokens). */
  nDrafted?: number;
  nAccept?: number;
  /** `accept` / 100; missing when the tool printed -nan (nothing drafted). */
  acceptRate?: number;
  /** `accept` as printed, in percent. */
  acceptPct?: number;
  /** Target model load time, ms. */
  loadMs?: number;
  /** Draft prompt-eval + eval time (printed at -lv 4 by llama-speculative), ms. */
  draftMs?: number;
  /** Target prompt-eval + eval time (verification counts as prompt eval here), ms. */
  targetMs?: number;
  /** Per-position acceptance from the drafter statistics (-lv 4). */
  acceptByPosition?: number[];
  target?: PerfStats;
  draft?: PerfStats;
  drafterStats?: SpeculativeDrafterStats;
}

const NUM = String.raw`(-?nan|-?inf|-?\d+(?:\.\d+)?)`;
const ENCODED = new RegExp(String.raw`^encoded\s+(\d+) tokens in\s+${NUM} seconds, speed:\s+${NUM} t/s$`);
const DECODED = new RegExp(String.raw`^decoded\s+(\d+) tokens in\s+${NUM} seconds, speed:\s+${NUM} t/s$`);
const COUNTERS: [RegExp, keyof SpeculativeMetrics][] = [
  [/^n_draft\s+=\s+(\d+)$/, "nDraftMax"],
  [/^n_predict\s+=\s+(\d+)$/, "nPredict"],
  [/^n_drafted\s+=\s+(\d+)$/, "nDrafted"],
  [/^n_accept\s+=\s+(\d+)$/, "nAccept"],
];
const ACCEPT = new RegExp(String.raw`^accept\s+=\s+${NUM}%$`);
const STATS = new RegExp(
  String.raw`statistics\s+(\S+): #calls\(b,g,a\) =\s+(\d+)\s+(\d+)\s+(\d+), #gen drafts =\s+(\d+), #acc drafts =\s+(\d+), #gen tokens =\s+(\d+), #acc tokens =\s+(\d+)(?![\w.])(?:, #mean acc len = ${NUM}, #acc rate/pos = \(([^)]*)\))?(?:, dur\(b,g,a\) = ${NUM}, ${NUM}, ${NUM} ms)?`,
);
// Builds before common_perf_print existed print the target block with libllama's own prefix.
const TERMINAL = /^(?:common_perf_print|llama_perf_context_print):\s+graphs reused =/;

const REQUIRED = [
  "nPrompt",
  "promptMs",
  "promptTps",
  "nDecoded",
  "decodeMs",
  "decodeTps",
  "nDraftMax",
  "nPredict",
  "nDrafted",
  "nAccept",
  "acceptRate",
  "loadMs",
] as const;

/** Parse a llama-speculative or llama-speculative-simple run (statistics are on stderr). */
export function parseSpeculative(_stdout: string, stderr: string): ParseResult<SpeculativeMetrics> {
  const lines = cleanLog(stderr)
    .split("\n")
    .map((l) => l.trimEnd());
  const metrics: SpeculativeMetrics = {};
  let terminal = false;
  let section: "none" | "draft" | "target" = "none";
  const draftLines: string[] = [];
  const targetLines: string[] = [];

  for (const line of lines) {
    if (section === "target" && TERMINAL.test(line)) terminal = true;
    if (line === "draft:") section = "draft";
    else if (line === "target:") section = "target";
    else if (section === "draft") draftLines.push(line);
    else if (section === "target") targetLines.push(line);

    const encoded = ENCODED.exec(line);
    if (encoded) {
      metrics.nPrompt = readNumber(encoded[1]);
      const seconds = readNumber(encoded[2]);
      if (seconds !== undefined) metrics.promptMs = secondsToMs(seconds);
      metrics.promptTps = readNumber(encoded[3]);
      continue;
    }
    const decoded = DECODED.exec(line);
    if (decoded) {
      metrics.nDecoded = readNumber(decoded[1]);
      const seconds = readNumber(decoded[2]);
      if (seconds !== undefined) metrics.decodeMs = secondsToMs(seconds);
      metrics.decodeTps = readNumber(decoded[3]);
      continue;
    }
    const accept = ACCEPT.exec(line);
    if (accept) {
      const pct = readNumber(accept[1]);
      if (pct !== undefined) {
        metrics.acceptPct = pct;
        // printed with three decimals: keep exactly that precision, without float noise from / 100
        metrics.acceptRate = Math.round(pct * 1e3) / 1e5;
      }
      continue;
    }
    for (const [pattern, key] of COUNTERS) {
      const match = pattern.exec(line);
      if (match) (metrics as Record<string, number | undefined>)[key] = readNumber(match[1]);
    }
    const stats = STATS.exec(line);
    const parsedStats = stats ? drafterStats(stats) : undefined;
    if (parsedStats) metrics.drafterStats = parsedStats;
  }

  const target =
    parsePerfPrint(targetLines, "common_perf_print") ??
    parsePerfPrint(targetLines, "llama_perf_context_print");
  const draft = parsePerfPrint(draftLines, "llama_perf_context_print");
  if (target) {
    metrics.target = target;
    if (target.loadMs !== undefined) metrics.loadMs = target.loadMs;
    metrics.targetMs = sumOf(target.promptEvalMs, target.evalMs);
  }
  if (draft) {
    metrics.draft = draft;
    metrics.draftMs = sumOf(draft.promptEvalMs, draft.evalMs);
  }
  if (metrics.drafterStats?.accRateByPosition)
    metrics.acceptByPosition = metrics.drafterStats.accRateByPosition;
  dropUndefined(metrics);

  const errors = detectErrors(stderr);
  return {
    metrics,
    truncated: !terminal && errors.length === 0,
    missing: listMissing(metrics, REQUIRED),
    errors,
  };
}

/** The drafter's counters, or undefined when one is unreadable (digits past float range): never a 0 for it. */
function drafterStats(m: RegExpExecArray): SpeculativeDrafterStats | undefined {
  const [callsBegin, callsGenerate, callsAccept, genDrafts, accDrafts, genTokens, accTokens] = [
    2, 3, 4, 5, 6, 7, 8,
  ].map((i) => readNumber(m[i]));
  if (
    callsBegin === undefined ||
    callsGenerate === undefined ||
    callsAccept === undefined ||
    genDrafts === undefined ||
    accDrafts === undefined ||
    genTokens === undefined ||
    accTokens === undefined
  )
    return undefined;
  const stats: SpeculativeDrafterStats = {
    implementation: m[1] ?? "",
    callsBegin,
    callsGenerate,
    callsAccept,
    genDrafts,
    accDrafts,
    genTokens,
    accTokens,
  };
  const meanAccLen = readNumber(m[9]);
  if (meanAccLen !== undefined) stats.meanAccLen = meanAccLen;
  if (m[10] !== undefined) {
    const rates = m[10].split(",").map((s) => readNumber(s));
    if (rates.every((r): r is number => r !== undefined)) stats.accRateByPosition = rates;
  }
  const [b, g, a] = [readNumber(m[11]), readNumber(m[12]), readNumber(m[13])];
  if (b !== undefined) stats.durBeginMs = b;
  if (g !== undefined) stats.durGenerateMs = g;
  if (a !== undefined) stats.durAcceptMs = a;
  return stats;
}

function sumOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : Math.round((a + b) * 1e6) / 1e6;
}
