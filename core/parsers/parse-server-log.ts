// llama-server's own log on stderr (REFERENCE.md §8.1, §8.2): readiness, whether a draft model was
// loaded, and one `print_timing` block per finished task. The JSON timings of each response are the
// primary source; the log is what a user has when the responses were not kept.

import { cleanLog } from "./clean-log.js";
import { detectErrors } from "./detect-errors.js";
import { dropUndefined } from "./drop-undefined.js";
import type { ParseResult } from "./parse-result.js";
import { readNumber } from "./read-number.js";

export interface ServerLogTask {
  slotId: number;
  taskId: number;
  nPrompt?: number;
  promptMs?: number;
  promptTps?: number;
  /** `eval time … / N tokens`: generated tokens. */
  nDecoded?: number;
  decodeMs?: number;
  /** As printed: since 2026-08-13 over N − 1 steps (the first token is free). */
  decodeTps?: number;
  totalMs?: number;
  /** `draft acceptance = R (A accepted / G generated), mean len = L`. */
  nAccept?: number;
  nDrafted?: number;
  acceptRate?: number;
  meanAcceptLen?: number;
}

export interface ServerLogMetrics {
  /** `listening on http://…`: the server got as far as serving. */
  listeningUrl?: string;
  modelLoaded: boolean;
  /** A draft model was loaded (the server may still free it silently: check /slots). */
  draftModelLoaded: boolean;
  tasks: ServerLogTask[];
}

const NUM = String.raw`(-?nan|-?inf|-?\d+(?:\.\d+)?)`;
const TASK = String.raw`print_timing: id\s+(\d+) \| task (\d+) \|`;
const PROMPT = new RegExp(
  String.raw`${TASK} prompt eval time =\s+${NUM} ms /\s+(\d+) tokens \(\s*${NUM} ms per token,\s+${NUM} tokens per second\)`,
);
const EVAL = new RegExp(
  String.raw`${TASK}\s+eval time =\s+${NUM} ms /\s+(\d+) tokens \(\s*${NUM} ms per token,\s+${NUM} tokens per second\)`,
);
const TOTAL = new RegExp(String.raw`${TASK}\s+total time =\s+${NUM} ms /\s+(\d+) tokens`);
const DRAFT = new RegExp(
  // the figure ends the line: the lookahead stops `1.5e308` being read as 1.5
  String.raw`${TASK} draft acceptance = ${NUM} \(\s*(\d+) accepted /\s*(\d+) generated\), mean len =\s*${NUM}(?![\w.])`,
);
const LISTENING = /listening on (http:\/\/\S+)/;

/** Parse llama-server's stderr log. */
export function parseServerLog(stderr: string): ParseResult<ServerLogMetrics> {
  const metrics: ServerLogMetrics = { modelLoaded: false, draftModelLoaded: false, tasks: [] };
  const tasks = new Map<string, ServerLogTask>();
  // ids past float range cannot name a task: their figures go to a throwaway record
  const task = (m: RegExpExecArray): ServerLogTask => {
    const [slotId, taskId] = [readNumber(m[1]), readNumber(m[2])];
    if (slotId === undefined || taskId === undefined) return { slotId: 0, taskId: 0 };
    const key = `${slotId}:${taskId}`;
    let found = tasks.get(key);
    if (!found) {
      found = { slotId, taskId };
      tasks.set(key, found);
    }
    return found;
  };
  for (const line of cleanLog(stderr).split("\n")) {
    const listening = LISTENING.exec(line);
    if (listening) metrics.listeningUrl = listening[1];
    if (/llama_server: model loaded/.test(line)) metrics.modelLoaded = true;
    if (/loading draft model/.test(line)) metrics.draftModelLoaded = true;
    let m: RegExpExecArray | null;
    if ((m = PROMPT.exec(line))) {
      Object.assign(
        task(m),
        dropUndefined({ promptMs: readNumber(m[3]), nPrompt: readNumber(m[4]), promptTps: readNumber(m[6]) }),
      );
    } else if ((m = EVAL.exec(line))) {
      Object.assign(
        task(m),
        dropUndefined({
          decodeMs: readNumber(m[3]),
          nDecoded: readNumber(m[4]),
          decodeTps: readNumber(m[6]),
        }),
      );
    } else if ((m = TOTAL.exec(line))) {
      Object.assign(task(m), dropUndefined({ totalMs: readNumber(m[3]) }));
    } else if ((m = DRAFT.exec(line))) {
      Object.assign(
        task(m),
        dropUndefined({
          acceptRate: readNumber(m[3]),
          nAccept: readNumber(m[4]),
          nDrafted: readNumber(m[5]),
          meanAcceptLen: readNumber(m[6]),
        }),
      );
    }
  }
  metrics.tasks = [...tasks.values()];
  dropUndefined(metrics);
  const missing = metrics.listeningUrl === undefined ? ["listeningUrl"] : [];
  // the server runs until stopped, so a log has no closing line to miss
  return { metrics, truncated: false, missing, errors: detectErrors(stderr) };
}
