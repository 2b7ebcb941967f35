// What one finished llama.cpp CLI run means for its cell: metrics, or the reason it does not count.
// Order matters: a failure the tool names in its text (out of memory, vocab, removed flag) outranks the
// exit status, and truncation is only judged on runs that exited cleanly (rc 0 with the tail lost, §1.5).
import type { Cell } from "../../../core/cell.js";
import { ENGINE_TRAITS } from "../../../core/engines.js";
import { acceptRate, type CellMetrics, type CellOutcome, type InvalidReason } from "../../../core/metrics.js";
import { detectErrors } from "../../../core/parsers/detect-errors.js";
import { parseCompletion } from "../../../core/parsers/parse-completion.js";
import { parseParallel } from "../../../core/parsers/parse-parallel.js";
import type { DetectedErrorKind } from "../../../core/parsers/parse-result.js";
import { parseSpeculative } from "../../../core/parsers/parse-speculative.js";
import { DEFAULT_SPEC_TYPE, specTypeTraits } from "../../../core/spec-types.js";
import type { ProcessResult } from "../../process/run-process.js";
import type { LlamaCliTool } from "./build-cli-argv.js";

export type CliRunVerdict =
  | { kind: "done"; outcome: CellOutcome }
  /** rc 0 but the closing lines are missing: run it again. */
  | { kind: "truncated"; outcome: CellOutcome };

const TEXT_LIMIT = 4096;

/** llama.cpp's KV cache refusing a draft tree's batch (llama-speculative -np > 1 once a branch splits). */
const COUPLED_SEQUENCES = /sequential split is not supported when there are coupled sequences/;
const FAILED_DECODE = /llama_decode: failed to decode/g;

const FATAL: Partial<Record<DetectedErrorKind, InvalidReason>> = {
  "out-of-memory": "out-of-memory",
  "vocab-mismatch": "vocab-mismatch",
  "removed-flag": "unsupported-flag",
};

interface Parsed {
  metrics: Partial<CellMetrics>;
  truncated: boolean;
  missing: string[];
}

function parseRun(tool: LlamaCliTool, stdout: string, stderr: string): Parsed {
  switch (tool) {
    case "llama-speculative":
    case "llama-speculative-simple": {
      const r = parseSpeculative(stdout, stderr);
      const m = r.metrics;
      return {
        truncated: r.truncated,
        missing: r.missing,
        metrics: {
          nDecoded: m.nDecoded,
          decodeMs: m.decodeMs,
          decodeTps: m.decodeTps,
          nPrompt: m.nPrompt,
          promptMs: m.promptMs,
          promptTps: m.promptTps,
          nDrafted: m.nDrafted,
          nAccept: m.nAccept,
          // from the counts (core/metrics.ts), not the tool's rounded "accept" percentage
          acceptRate:
            m.nAccept === undefined || m.nDrafted === undefined
              ? undefined
              : acceptRate(m.nAccept, m.nDrafted),
          acceptByPosition: m.acceptByPosition,
          draftMs: m.draftMs,
          targetMs: m.targetMs,
          loadMs: m.loadMs,
        },
      };
    }
    case "llama-completion": {
      const r = parseCompletion(stdout, stderr);
      const m = r.metrics;
      return {
        truncated: r.truncated,
        missing: r.missing,
        metrics: {
          nDecoded: m.nDecoded,
          decodeMs: m.decodeMs,
          decodeTps: m.decodeTps,
          nPrompt: m.nPrompt,
          promptMs: m.promptMs,
          promptTps: m.promptTps,
          loadMs: m.loadMs,
        },
      };
    }
    case "llama-parallel": {
      const r = parseParallel(stdout, stderr);
      const m = r.metrics;
      // llama-parallel's speeds all divide by the whole run's wall time (§6); per sequence, the honest
      // figure is response tokens over that client's own time.
      const perSequenceTps = m.clients
        .filter((c) => c.timeS !== undefined && c.timeS > 0)
        .map((c) => c.responseTokens / (c.timeS as number));
      const decodeTps = m.aggregateTps ?? m.totalGenTps;
      return {
        truncated: r.truncated,
        missing: r.missing,
        metrics: {
          nDecoded: m.nDecoded,
          nPrompt: m.nPrompt,
          decodeTps,
          aggregateTps: decodeTps,
          decodeMs:
            m.nDecoded !== undefined && decodeTps !== undefined && decodeTps > 0
              ? (m.nDecoded / decodeTps) * 1000
              : undefined,
          perSequenceTps,
        },
      };
    }
  }
}

function drop<T extends object>(o: T): T {
  for (const [k, v] of Object.entries(o)) if (v === undefined) delete (o as Record<string, unknown>)[k];
  return o;
}

export function readCliRun(tool: LlamaCliTool, cell: Cell, run: ProcessResult): CliRunVerdict {
  const base: Pick<CellOutcome, "command" | "stderrTail"> = {
    command: [...run.argv],
    stderrTail: run.stderrTail,
  };
  const failed = (invalidReason: InvalidReason, message: string): CliRunVerdict => ({
    kind: "done",
    outcome: { status: "failed", invalidReason, message, ...base },
  });

  if (run.spawnError) return failed("error", `could not start ${run.argv[0]}: ${run.spawnError}`);
  if (run.cancelled) return failed("cancelled", `${tool} was cancelled; its process group was killed`);
  if (run.timedOut) {
    return failed(
      "timeout",
      `${tool} ran past its time limit (${Math.round(run.wallMs)} ms); its process group was killed`,
    );
  }
  for (const e of detectErrors(run.stderr)) {
    const reason = FATAL[e.kind];
    if (reason) return failed(reason, `${e.message}\n${e.excerpt}`);
  }
  // A decode llama.cpp refused leaves the run's counters standing (rc 0 included): never count it.
  const failedDecodes = run.stderr.match(FAILED_DECODE)?.length ?? 0;
  if (failedDecodes > 0) {
    const reason: InvalidReason = run.exitCode !== 0 ? "crashed" : "error";
    if ((cell.nParallel ?? 1) > 1 && COUPLED_SEQUENCES.test(run.stderr)) {
      return failed(
        reason,
        `${tool} could not decode a branched draft tree (-np ${cell.nParallel}; ${failedDecodes} decodes failed, ` +
          `exit ${run.exitCode ?? run.signal}): this llama.cpp build's KV cache refuses the tree's coupled sequences ` +
          `("sequential split is not supported when there are coupled sequences"), and ${tool} has no -kvu to ` +
          `unify it. A branched tree needs a build whose ${tool} decodes split drafts; at temperature 0 the ` +
          `greedy draft does not branch, so n_parallel runs there but changes nothing`,
      );
    }
    return failed(
      reason,
      `${tool} printed ${failedDecodes} failed decodes (llama_decode: failed to decode): its figures do not describe the run asked for`,
    );
  }
  if (run.exitCode !== 0) {
    const how = run.signal ? `was killed by ${run.signal}` : `exited with code ${run.exitCode}`;
    const reason: InvalidReason = run.signal || (run.exitCode ?? 0) >= 128 ? "crashed" : "error";
    const detail = detectErrors(run.stderr)[0];
    return failed(reason, `${tool} ${how}${detail ? `: ${detail.message}` : ""}`);
  }

  const parsed = parseRun(tool, run.stdout, run.stderr);
  const metrics = drop({ ...parsed.metrics, wallMs: run.wallMs }) as CellMetrics;
  const text = run.stdout.trim();
  if (text !== "" && tool !== "llama-parallel") metrics.text = text.slice(0, TEXT_LIMIT);
  if (parsed.truncated) {
    return {
      kind: "truncated",
      outcome: {
        status: "invalid",
        invalidReason: "output-truncated",
        message: `${tool} exited 0 but its closing lines are missing (log lost at exit); missing: ${parsed.missing.join(", ") || "terminal marker"}`,
        metrics,
        ...base,
      },
    };
  }
  if (metrics.nDecoded === undefined || metrics.decodeTps === undefined) {
    return failed("error", `${tool} output has no decode figures; missing: ${parsed.missing.join(", ")}`);
  }
  const invalid = (invalidReason: InvalidReason, message: string): CliRunVerdict => ({
    kind: "done",
    outcome: { status: "invalid", invalidReason, message, metrics, ...base },
  });
  // a tool with a speculation type drafts on every cell it is the tool of (baselines run on llama-completion),
  // except the n-gram types, which draft only where the text repeats: none drafted is what they measured
  // (as on llama-server), and a tool that could not set the type up exits 1 ("failed to initialize
  // speculative decoding")
  const mustDraft = specTypeTraits(cell.specType ?? DEFAULT_SPEC_TYPE).usesK;
  if (ENGINE_TRAITS[tool].speculation.length > 0 && mustDraft && !(metrics.nDrafted ?? 0)) {
    return invalid("speculation-not-engaged", `${tool} drafted 0 tokens: speculation did not engage`);
  }
  const expected =
    tool === "llama-parallel" ? cell.nPredict * (cell.requests ?? cell.concurrency ?? 1) : cell.nPredict;
  if (metrics.nDecoded < expected) {
    return invalid(
      "stopped-early",
      `${tool} generated ${metrics.nDecoded} of ${expected} tokens (EOS or context full)`,
    );
  }
  return { kind: "done", outcome: { status: "ok", metrics, command: [...run.argv] } };
}
