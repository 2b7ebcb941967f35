// Parsers for llama.cpp output: pure functions from captured text (or parsed JSON) to typed metrics,
// each saying what it could not find, whether the output was cut off, and which failures it saw.

export { cleanLog } from "./clean-log.js";
export { detectErrors } from "./detect-errors.js";
export type { DetectedError, DetectedErrorKind, ParseResult } from "./parse-result.js";
export type { PerfStats } from "./parse-perf-print.js";
export {
  parseSpeculative,
  type SpeculativeMetrics,
  type SpeculativeDrafterStats,
} from "./parse-speculative.js";
export { parseCompletion, type CompletionMetrics, type CompletionTool } from "./parse-completion.js";
export { parseParallel, type ParallelMetrics, type ParallelClientResult } from "./parse-parallel.js";
export { parseBench, type BenchFormat, type BenchMetrics, type BenchRow } from "./parse-bench.js";
export {
  parseBatchedBench,
  type BatchedBenchMetrics,
  type BatchedBenchOptions,
  type BatchedBenchRow,
  type BatchedBenchSettings,
} from "./parse-batched-bench.js";
export { parseServerCompletion, type ServerCompletionMetrics } from "./parse-server-completion.js";
export { parseServerProps, type ServerPropsMetrics } from "./parse-server-props.js";
export { parseServerSlots, type ServerSlot, type ServerSlotsMetrics } from "./parse-server-slots.js";
export { parseServerMetrics, type ServerMetricsSnapshot } from "./parse-server-metrics.js";
export { parseServerLog, type ServerLogMetrics, type ServerLogTask } from "./parse-server-log.js";
export {
  parseToolOutput,
  detectBenchFormat,
  detectServerKind,
  SERVER_RESPONSE_KINDS,
  type ServerResponseKind,
  type ToolOutput,
  type ToolParseResult,
} from "./parse-tool-output.js";
export { LLAMA_TOOLS, type LlamaTool } from "../llama-tools.js";
