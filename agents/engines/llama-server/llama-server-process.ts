// One running llama-server: started on a free loopback port, ready once /health answers 200, checked
// through /slots for whether it really speculates, stopped as a process group.
import net from "node:net";
import { detectErrors } from "../../../core/parsers/detect-errors.js";
import { parseServerSlots } from "../../../core/parsers/parse-server-slots.js";
import { RunFailedError } from "../../../core/errors.js";
import { startProcess, type ManagedProcess } from "../../process/start-process.js";

export interface ServerStartOptions {
  /** argv builder, given the port chosen. */
  argvFor: (port: number) => string[];
  /** Longest wait for /health 200 (model load). */
  loadTimeoutMs: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export interface SpeculationCheck {
  /** true: every slot reports speculative; false: the server fell back silently; undefined: no /slots. */
  engaged: boolean | undefined;
  detail: string;
}

/** A free TCP port on 127.0.0.1 (the OS picks; the server binds it right after). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class LlamaServerProcess {
  private constructor(
    readonly proc: ManagedProcess,
    readonly baseUrl: string,
    readonly loadMs: number,
  ) {}

  static async start(opts: ServerStartOptions): Promise<LlamaServerProcess> {
    const port = await freeLoopbackPort();
    const argv = opts.argvFor(port);
    const started = performance.now();
    const proc = startProcess(argv, opts.env ? { env: opts.env } : {});
    const baseUrl = `http://127.0.0.1:${port}`;
    const fail = async (message: string, reason: string, retryable: boolean): Promise<never> => {
      await proc.stopGroup();
      const tail = proc.stderrTail.lastLines(40);
      const named = detectErrors(tail)[0];
      throw new RunFailedError(`${message}${named ? `: ${named.message}` : ""}`, {
        stderrTail: tail,
        retryable: named ? false : retryable,
        reason:
          named?.kind === "out-of-memory"
            ? "out-of-memory"
            : named?.kind === "removed-flag"
              ? "unsupported-flag"
              : reason,
      });
    };
    while (performance.now() - started < opts.loadTimeoutMs) {
      if (opts.signal?.aborted) return fail("llama-server start cancelled", "cancelled", true);
      if (!proc.running()) {
        const exit = await proc.exited;
        return fail(
          `llama-server exited while loading (${exit.spawnError ? exit.spawnError.message : `code ${exit.exitCode ?? exit.signal}`})`,
          "crashed",
          true,
        );
      }
      try {
        const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return new LlamaServerProcess(proc, baseUrl, performance.now() - started);
      } catch {
        // Not listening yet.
      }
      await sleep(100);
    }
    return fail(`llama-server did not become healthy within ${opts.loadTimeoutMs} ms`, "timeout", true);
  }

  /** Ask /slots whether speculation is active; the server never says so when it falls back (§8.6). */
  async checkSpeculation(): Promise<SpeculationCheck> {
    let body: unknown;
    try {
      const res = await fetch(`${this.baseUrl}/slots`, { signal: AbortSignal.timeout(10_000) });
      if (res.status !== 200) return { engaged: undefined, detail: `/slots answered HTTP ${res.status}` };
      body = await res.json();
    } catch (err) {
      return { engaged: undefined, detail: `/slots could not be read: ${(err as Error).message}` };
    }
    const slots = parseServerSlots(body).metrics;
    if (slots.speculationEngaged)
      return { engaged: true, detail: `${slots.slots.length} slot(s) speculative` };
    const off = slots.slots.filter((s) => s.speculative !== true).map((s) => s.id);
    return {
      engaged: false,
      detail:
        `/slots reports speculative=false for slot(s) ${off.join(", ") || "(none listed)"}: the server runs without ` +
        `the draft (missing --spec-type draft-simple, or a draft vocabulary the target rejects)`,
    };
  }

  running(): boolean {
    return this.proc.running();
  }

  stderrTail(): string {
    return this.proc.stderrTail.lastLines(40);
  }

  async stop(): Promise<void> {
    await this.proc.stopGroup();
  }
}
