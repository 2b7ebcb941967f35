// llama-parallel (REFERENCE.md §6) prints per-client lines and a summary on stderr, with ANSI
// escapes hard-coded whatever the colour settings. Every summary speed divides by the whole run's
// wall time, so prompt and generation speeds share one denominator. The closing line is `Cache misses:`.

import { cleanLog } from "./clean-log.js";
import { detectErrors } from "./detect-errors.js";
import { dropUndefined } from "./drop-undefined.js";
import { listMissing } from "./list-missing.js";
import type { ParseResult } from "./parse-result.js";
import { readNumber } from "./read-number.js";

export interface ParallelClientResult {
  client: number;
  seq: number;
  nSequences: number;
  promptTokens: number;
  responseTokens: number;
  /** Seconds since this request's prompt was queued. */
  timeS?: number;
  /** (prompt + response) / time, as printed. */
  speedTps?: number;
}

export interface ParallelMetrics {
  nParallel?: number;
  nSequences?: number;
  contBatching?: boolean;
  systemTokens?: number;
  /** `Total prompt tokens`. */
  nPrompt?: number;
  /** `Total gen tokens`. */
  nDecoded?: number;
  /** Summary speeds over the whole run's wall time. */
  totalPromptTps?: number;
  totalGenTps?: number;
  /** `Total speed (AVG)`: (prompt + gen) / wall. */
  totalTps?: number;
  /** Generated tokens over wall time for all clients together (= totalGenTps). */
  aggregateTps?: number;
  /** Global count of decode calls retried with a smaller batch. */
  cacheMisses?: number;
  clients: ParallelClientResult[];
}

const NUM = String.raw`(-?nan|-?inf|-?\d+(?:\.\d+)?)`;
const SETTINGS = /n_parallel = (\d+), n_sequences = (\d+), cont_batching = (\d+), system tokens = (\d+)$/;
const CLIENT = new RegExp(
  String.raw`Client\s+(\d+), seq\s+(\d+)/\s*(\d+), prompt\s+(\d+) t, response\s+(\d+) t, time\s+${NUM} s, speed\s+${NUM} t/s`,
);
const TOTAL_PROMPT = new RegExp(String.raw`^Total prompt tokens:\s+(\d+), speed:\s+${NUM} t/s$`);
const TOTAL_GEN = new RegExp(String.raw`^Total gen tokens:\s+(\d+), speed:\s+${NUM} t/s$`);
const TOTAL_AVG = new RegExp(String.raw`^Total speed \(AVG\):\s+speed:\s+${NUM} t/s$`);
const CACHE_MISSES = /^Cache misses:\s+(\d+)$/;
const REQUIRED = [
  "nParallel",
  "nSequences",
  "nPrompt",
  "nDecoded",
  "totalPromptTps",
  "totalGenTps",
  "totalTps",
  "cacheMisses",
] as const;

/** Parse a llama-parallel run (everything is on stderr; stdout holds blank lines). */
export function parseParallel(_stdout: string, stderr: string): ParseResult<ParallelMetrics> {
  const metrics: ParallelMetrics = { clients: [] };
  for (const raw of cleanLog(stderr).split("\n")) {
    const line = raw.trim();
    const settings = SETTINGS.exec(line);
    if (settings) {
      metrics.nParallel = readNumber(settings[1]);
      metrics.nSequences = readNumber(settings[2]);
      metrics.contBatching = settings[3] === "1";
      metrics.systemTokens = readNumber(settings[4]);
      continue;
    }
    const client = CLIENT.exec(line);
    if (client) {
      const counts = [1, 2, 3, 4, 5].map((i) => readNumber(client[i]));
      const [id, seq, nSequences, promptTokens, responseTokens] = counts;
      // digits past float range: the line names no client or count we could report
      if (
        id !== undefined &&
        seq !== undefined &&
        nSequences !== undefined &&
        promptTokens !== undefined &&
        responseTokens !== undefined
      ) {
        metrics.clients.push(
          dropUndefined({
            client: id,
            seq,
            nSequences,
            promptTokens,
            responseTokens,
            timeS: readNumber(client[6]),
            speedTps: readNumber(client[7]),
          }),
        );
      }
      continue;
    }
    const prompt = TOTAL_PROMPT.exec(line);
    if (prompt) {
      metrics.nPrompt = readNumber(prompt[1]);
      metrics.totalPromptTps = readNumber(prompt[2]);
      continue;
    }
    const gen = TOTAL_GEN.exec(line);
    if (gen) {
      metrics.nDecoded = readNumber(gen[1]);
      metrics.totalGenTps = readNumber(gen[2]);
      metrics.aggregateTps = metrics.totalGenTps;
      continue;
    }
    const avg = TOTAL_AVG.exec(line);
    if (avg) {
      metrics.totalTps = readNumber(avg[1]);
      continue;
    }
    const misses = CACHE_MISSES.exec(line);
    if (misses) metrics.cacheMisses = readNumber(misses[1]);
  }
  dropUndefined(metrics);
  const errors = detectErrors(stderr);
  return {
    metrics,
    truncated: metrics.cacheMisses === undefined && errors.length === 0,
    missing: listMissing(metrics, REQUIRED),
    errors,
  };
}
