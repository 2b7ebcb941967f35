import { SpecgridError } from "../../core/errors.js";

/**
 * A results database that cannot be used as it is: not SQLite, corrupt, another program's database, or a
 * sweep that is not in it. Never retried; the message says which file and what to do.
 */
export class StoreError extends SpecgridError {
  constructor(
    code: "STORE_NOT_SQLITE" | "STORE_CORRUPT" | "STORE_FOREIGN" | "STORE_UNKNOWN_SWEEP" | "STORE_NO_VALID",
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(code, message, { details, cause });
  }
}
