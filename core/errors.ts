// One base error with a stable code; subclasses by how a caller must react. Errors cross process
// boundaries as data ({ code, message, details }) through toErrorData / fromErrorData.

export interface ErrorData {
  code: string;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

export class SpecgridError extends Error {
  readonly code: string;
  /** Whether running the same thing again may succeed (a crash, a timeout) or never will (bad input, OOM). */
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    opts: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details ?? {};
  }

  toData(): ErrorData {
    return { code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

/** One problem in a manifest, located in the YAML source. */
export interface ManifestIssue {
  /** Dotted YAML path, e.g. `sweep.k[0]`. */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

/** A manifest that cannot be used; lists every problem at once. */
export class ManifestError extends SpecgridError {
  readonly file: string;
  readonly issues: ManifestIssue[];

  constructor(file: string, issues: ManifestIssue[]) {
    const lines = issues.map((i) => {
      const at = i.line === undefined ? "" : `:${i.line}${i.column === undefined ? "" : `:${i.column}`}`;
      return `  ${file}${at}  ${i.path || "(root)"}: ${i.message}`;
    });
    super("MANIFEST_INVALID", `${file}: ${issues.length} problem(s) in the manifest:\n${lines.join("\n")}`, {
      details: { file, issues },
    });
    this.file = file;
    this.issues = issues;
  }
}

/** A run that failed: exit code, signal and the tail of stderr. */
export class RunFailedError extends SpecgridError {
  constructor(
    message: string,
    opts: {
      exitCode?: number | null;
      signal?: string | null;
      stderrTail?: string;
      retryable: boolean;
      reason?: string;
    },
  ) {
    super("RUN_FAILED", message, {
      retryable: opts.retryable,
      details: {
        exitCode: opts.exitCode,
        signal: opts.signal,
        stderrTail: opts.stderrTail,
        reason: opts.reason,
      },
    });
  }
}

/** A draft model that cannot be paired with a target (vocabulary, tokenizer). */
export class IncompatibleModelsError extends SpecgridError {
  constructor(message: string, details: Record<string, unknown>) {
    super("MODELS_INCOMPATIBLE", message, { details });
  }
}

/** Bad configuration or flag values; never retried. */
export class ConfigError extends SpecgridError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("CONFIG_INVALID", message, { details });
  }
}

/** A value the agent refuses to run (out of its schema, path escape). */
export class RejectedParameterError extends SpecgridError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("PARAMETER_REJECTED", message, { details });
  }
}

export function toErrorData(err: unknown): ErrorData {
  if (err instanceof SpecgridError) return err.toData();
  if (err instanceof Error) return { code: "INTERNAL", message: err.message, retryable: true };
  return { code: "INTERNAL", message: String(err), retryable: true };
}

export function fromErrorData(data: ErrorData): SpecgridError {
  return new SpecgridError(data.code, data.message, {
    retryable: data.retryable,
    details: data.details ?? {},
  });
}
