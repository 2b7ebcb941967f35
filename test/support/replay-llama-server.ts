// A real HTTP server on 127.0.0.1 that answers like llama-server from captured JSON (REFERENCE §8):
// /health is 503 "Loading model" until the load delay passes, then 200; /props, /slots, /completion and
// /metrics come from the captures. It runs inside the fake llama-server process (test/support/bin) so the
// engine under test spawns, waits on and kills a real process, and can be started directly in a test.
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const fixtures = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/llama-replay/server",
);

export interface ReplayServerScenario {
  /** Time /health answers 503 before turning 200. @default 150 */
  loadDelayMs?: number;
  /**
   * Captured timings are scaled by this factor, and the reply waits that long (prompt + predicted time,
   * times n_predict over the captured predicted_n), so reported timings and wall time agree. @default 0.01
   */
  timeScale?: number;
  /**
   * The server speculates when started with a draft and `--spec-type draft-simple` (as the real one);
   * `true` forces the silent fallback of §8.6 even then (e.g. an incompatible draft vocab).
   */
  speculationOff?: boolean;
  /** Exit with this code right after printing the load lines (a server that dies while loading). */
  exitDuringLoad?: number;
  /** Close the connection without answering the n-th /completion (1-based), then keep serving. */
  dropCompletion?: number;
  /** An old build (per-request fields honoured by its kind) that ignores `speculative.n_max` all the same. */
  ignorePerRequestSpeculative?: boolean;
}

export interface ReplayServerConfig {
  host: string;
  port: number;
  /** Started with a draft model. */
  draft: boolean;
  /** `--spec-type` included `draft-simple`, or the build predates it (a draft alone enabled speculation). */
  specTypeDraftSimple: boolean;
  slots: number;
  /** Requests' `speculative.n_max` caps the draft tokens per step (builds before 2026-05-11). */
  honoursPerRequest: boolean;
  scenario: ReplayServerScenario;
  /** Where log lines go (the fake process's stderr). */
  log: (line: string) => void;
}

export interface ReplayServer {
  port: number;
  /** Completion requests received, with their bodies. */
  requests: unknown[];
  close(): Promise<void>;
}

const readFixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(fixtures, name), "utf8")) as Record<string, unknown>;

function stamp(startedMs: number): string {
  const us = Math.round((performance.now() - startedMs) * 1000);
  const min = Math.floor(us / 60_000_000);
  const s = Math.floor(us / 1_000_000) % 60;
  const ms = Math.floor(us / 1000) % 1000;
  return `${min}.${String(s).padStart(2, "0")}.${String(ms).padStart(3, "0")}.${String(us % 1000).padStart(3, "0")}`;
}

/** Word ids standing in for token ids: deterministic per reply text, as the real ids would be. */
function tokenIds(text: string, count: number): number[] {
  const words = text.split(/\s+/).filter((w) => w !== "");
  return Array.from({ length: count }, (_, i) => {
    const w = words[i % Math.max(1, words.length)] ?? "";
    let h = 0;
    for (const ch of w) h = (h * 31 + ch.charCodeAt(0)) % 735;
    return h;
  });
}

/** The captured reply with its timings scaled to the replay's pace and its length set to n_predict. */
function scaleTimings(
  reply: Record<string, unknown>,
  request: Record<string, unknown>,
  scale: number,
  perRequest: boolean,
): Record<string, unknown> {
  const t = { ...(reply.timings as Record<string, number>) };
  const nPredict = typeof request.n_predict === "number" ? request.n_predict : (t.predicted_n ?? 0);
  const stretch = t.predicted_n ? nPredict / t.predicted_n : 1;
  t.prompt_ms = (t.prompt_ms ?? 0) * scale;
  t.predicted_ms = (t.predicted_ms ?? 0) * scale * stretch;
  t.predicted_n = nPredict;
  if (t.prompt_ms > 0) t.prompt_per_second = ((t.prompt_n ?? 0) / t.prompt_ms) * 1000;
  if (t.predicted_ms > 0) t.predicted_per_second = ((nPredict - 1) / t.predicted_ms) * 1000;
  if (t.draft_n !== undefined) {
    t.draft_n = Math.round(t.draft_n * stretch);
    t.draft_n_accepted = Math.round((t.draft_n_accepted ?? 0) * stretch);
    const nMax = request["speculative.n_max"];
    if (perRequest && typeof nMax === "number") {
      // drafting stops at n_max per step: steps = tokens after the first - accepted ones
      const steps = Math.max(0, nPredict - 1 - t.draft_n_accepted);
      t.draft_n = Math.min(t.draft_n, nMax * steps);
      t.draft_n_accepted = Math.min(t.draft_n_accepted, t.draft_n);
    }
  }
  const tokens =
    request.return_tokens === true
      ? tokenIds(typeof reply.content === "string" ? reply.content : "", nPredict)
      : [];
  return { ...reply, tokens, tokens_predicted: nPredict, timings: t };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

export async function startReplayLlamaServer(cfg: ReplayServerConfig): Promise<ReplayServer> {
  const started = performance.now();
  const info = (msg: string): void => cfg.log(`${stamp(started)} I ${msg}`);
  const speculating = cfg.draft && cfg.specTypeDraftSimple && cfg.scenario.speculationOff !== true;
  const loadDelayMs = cfg.scenario.loadDelayMs ?? 150;
  let loaded = false;
  let completions = 0;
  let nextTask = 1;
  const requests: unknown[] = [];

  const server = http.createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      if (url === "/health") {
        if (!loaded) {
          send(res, 503, { error: { message: "Loading model", type: "unavailable_error", code: 503 } });
        } else send(res, 200, { status: "ok" });
        return;
      }
      if (!loaded) {
        send(res, 503, { error: { message: "Loading model", type: "unavailable_error", code: 503 } });
        return;
      }
      if (url === "/props") {
        const props = readFixture("spec-np1-props.json");
        send(res, 200, { ...props, total_slots: cfg.slots });
        return;
      }
      if (url === "/slots") {
        const slots = Array.from({ length: cfg.slots }, (_, id) => ({
          id,
          n_ctx: 2048,
          speculative: speculating,
          is_processing: false,
        }));
        send(res, 200, slots);
        return;
      }
      if (url === "/completion" && req.method === "POST") {
        completions += 1;
        const n = completions;
        let request: Record<string, unknown>;
        try {
          request = JSON.parse(body) as Record<string, unknown>;
        } catch {
          send(res, 400, { error: { code: 400, message: "invalid JSON", type: "invalid_request_error" } });
          return;
        }
        requests.push(request);
        if (cfg.scenario.dropCompletion === n) {
          req.socket.destroy();
          return;
        }
        // Parallel captures answer concurrent requests; single-slot ones the rest.
        const file = cfg.slots > 1 ? `spec-np4-cmpl-${((n - 1) % 4) + 1}.json` : "spec-np1-cmpl-t0.json";
        const reply = speculating
          ? readFixture(file)
          : readFixture(cfg.draft ? "spec-notype-cmpl-t0.json" : "base-np1-cmpl-t0.json");
        const scaled = scaleTimings(reply, request, cfg.scenario.timeScale ?? 0.01, cfg.honoursPerRequest);
        const task = nextTask++;
        const t = scaled.timings as Record<string, number>;
        const timer = setTimeout(
          () => {
            info(
              `slot print_timing: id  0 | task ${task} |        eval time = ${t.predicted_ms?.toFixed(2)} ms / ${t.predicted_n} tokens`,
            );
            send(res, 200, scaled);
          },
          (t.prompt_ms ?? 0) + (t.predicted_ms ?? 0),
        );
        res.on("close", () => clearTimeout(timer));
        return;
      }
      send(res, 404, { error: { code: 404, message: "File Not Found", type: "not_found_error" } });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  info(`srv  llama_server: loading model`);
  setTimeout(() => {
    loaded = true;
    info("srv  llama_server: model loaded");
    info(`srv  llama_server: listening on http://${cfg.host}:${port}`);
  }, loadDelayMs);

  return {
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
