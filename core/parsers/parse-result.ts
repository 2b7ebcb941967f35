// The shape every llama.cpp output parser returns. A parser never invents a figure: what it could not
// find (or found as nan/inf) is named in `missing`, and the caller decides whether the run counts.

/** How a caller must react to a failure seen in a tool's output. */
export type DetectedErrorKind = "out-of-memory" | "vocab-mismatch" | "removed-flag" | "model-load" | "other";

export interface DetectedError {
  kind: DetectedErrorKind;
  /** One line saying what went wrong, in our words plus the tool's. */
  message: string;
  /** The tool's own lines around the match, cleaned of prefixes and colours. */
  excerpt: string;
}

export interface ParseResult<T> {
  metrics: T;
  /** The closing line(s) the tool always prints are absent: the run must be re-run, not counted. */
  truncated: boolean;
  /** Names of the metrics fields that were expected but not found (or were nan/inf). */
  missing: string[];
  errors: DetectedError[];
}
