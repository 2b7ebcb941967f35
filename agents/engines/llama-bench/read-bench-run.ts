// What one finished llama-bench run means for its cell: llama-bench's own mean and standard deviation over
// its repetitions of the tg test (and the pp test when the cell asks for one), or the reason it does not
// count. llama-bench prints with printf, so its JSON is not cut at exit; a failed load leaves a lone `[`
// on stdout and the reason on stderr (REFERENCE §9).
import type { Cell } from "../../../core/cell.js";
import type { CellMetrics, CellOutcome, InvalidReason } from "../../../core/metrics.js";
import { detectErrors } from "../../../core/parsers/detect-errors.js";
import { parseBench, type BenchRow } from "../../../core/parsers/parse-bench.js";
import type { ProcessResult } from "../../process/run-process.js";

const MESSAGE_LIMIT = 400;

export function readBenchRun(cell: Cell, run: ProcessResult): CellOutcome {
  const base: Pick<CellOutcome, "command" | "stderrTail"> = {
    command: [...run.argv],
    stderrTail: run.stderrTail,
  };
  const failed = (invalidReason: InvalidReason, message: string): CellOutcome => ({
    status: "failed",
    invalidReason,
    message,
    ...base,
  });
  if (run.spawnError) return failed("error", `could not start ${run.argv[0]}: ${run.spawnError}`);
  if (run.cancelled) return failed("cancelled", "llama-bench was cancelled; its process group was killed");
  if (run.timedOut) {
    return failed(
      "timeout",
      `llama-bench ran past its time limit (${Math.round(run.wallMs)} ms); its process group was killed`,
    );
  }
  const errors = detectErrors(run.stderr);
  if (errors.some((e) => e.kind === "out-of-memory")) {
    const oom = errors.find((e) => e.kind === "out-of-memory")!;
    return failed("out-of-memory", `${oom.message}\n${oom.excerpt}`);
  }
  if (run.exitCode !== 0) {
    const how = run.signal ? `was killed by ${run.signal}` : `exited with code ${run.exitCode}`;
    const reason: InvalidReason = run.signal || (run.exitCode ?? 0) >= 128 ? "crashed" : "error";
    // llama-bench's own words (`llama_bench: error: failed to load model '…'`) say more than any pattern
    const said = run.stderr.trim().split("\n").filter(Boolean).at(-1)?.slice(0, MESSAGE_LIMIT);
    return failed(reason, `llama-bench ${how}${said ? `: ${said}` : ""}`);
  }
  const parsed = parseBench(run.stdout, "json", run.stderr);
  const rows = parsed.metrics.rows;
  const tg = rows.find((r) => r.nPrompt === 0 && r.nGen === cell.nPredict);
  const wantsPp = cell.bench?.nPrompt !== undefined;
  const pp = wantsPp ? rows.find((r) => r.nGen === 0 && r.nPrompt === cell.bench?.nPrompt) : undefined;
  const missing = [
    ...(tg === undefined ? [`the tg${cell.nPredict} row`] : []),
    ...(wantsPp && pp === undefined ? [`the pp${cell.bench?.nPrompt} row`] : []),
    ...parsed.missing.filter((m) => /avgTs|stddevTs|nPrompt|nGen/.test(m)),
  ];
  if (parsed.truncated) {
    return {
      status: "invalid",
      invalidReason: "output-truncated",
      message: "llama-bench exited 0 but its -o json array is not complete",
      ...base,
    };
  }
  if (tg?.avgTs === undefined || missing.length > 0)
    return failed("error", `llama-bench -o json output lacks ${missing.join(", ") || "the tg mean"}`);
  const metrics: CellMetrics = {
    nDecoded: tg.nGen ?? cell.nPredict,
    decodeTps: tg.avgTs,
    decodeMs: meanMs(tg) ?? ((tg.nGen ?? cell.nPredict) / tg.avgTs) * 1000,
    wallMs: run.wallMs,
  };
  if (tg.stddevTs !== undefined) metrics.decodeTpsSd = tg.stddevTs;
  if (pp?.avgTs !== undefined) {
    metrics.promptTps = pp.avgTs;
    if (pp.nPrompt !== undefined) metrics.nPrompt = pp.nPrompt;
    const ms = meanMs(pp);
    if (ms !== undefined) metrics.promptMs = ms;
    if (pp.stddevTs !== undefined) metrics.promptTpsSd = pp.stddevTs;
  }
  return { status: "ok", metrics, command: [...run.argv] };
}

/** llama-bench's mean time of one repetition, ms. */
function meanMs(row: BenchRow): number | undefined {
  return row.avgNs === undefined ? undefined : row.avgNs / 1e6;
}
