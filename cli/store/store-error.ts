import { SpecgridError } from "../../core/errors.js";

/**
 * A results database that cannot be used as it is: not SQLite, corrupt, another program's database, or a
 * sweep that is not in it. Never retried; the message says which file and what to do.
 */
export class StoreError extends SpecgridError {
  constructor(
    code:
      | "STORE_NOT_SQLITE"
      | "STORE_CORRUPT"
      | "STORE_FOREIGN"
      | "STORE_UNKNOWN_SWEEP"
      | "STORE_NO_VALID"
      | "STORE_MISSING"
      | "STORE_NOT_FILE"
      | "STORE_UNAVAILABLE",
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(code, message, { details, cause });
  }
}

// What the disk or SQLite said, as the fix a user can make.
function remedy(code: string): string {
  if (code === "SQLITE_FULL" || code === "ENOSPC")
    return "the disk holding it is full: free space there, or pass --db with a file on another disk";
  if (code.startsWith("SQLITE_READONLY") || code === "EROFS" || code === "EACCES" || code === "EPERM")
    return "it is not writable: check the permissions of the file and its folder (and that the disk is not mounted read-only), or pass --db with a writable path";
  if (code === "ENOENT" || code === "ENOTDIR" || code === "EEXIST")
    return "a part of its path is missing or is a file rather than a folder: check the path, or pass --db with another one";
  if (code.startsWith("SQLITE_CANTOPEN"))
    return "SQLite cannot open it: check that its folder exists and is writable, or pass --db with another path";
  if (code.startsWith("SQLITE_IOERR"))
    return "the disk reported an I/O error: check the disk, or pass --db with a file on another disk";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
    return "another process held a lock on it for more than 5 s: wait for it (another results pull?) and retry";
  return "check the disk and the path, or pass --db with another file";
}

/** A results database the disk would not let us open or write: names the file, the cause and the fix. */
export function storeUnavailable(file: string, err: unknown, action: string): StoreError {
  const raw = (err as { code?: unknown } | undefined)?.code;
  const code = typeof raw === "string" ? raw : "";
  const reason = err instanceof Error ? err.message : String(err);
  return new StoreError(
    "STORE_UNAVAILABLE",
    `could not ${action} the results database ${file} (${reason}): ${remedy(code)}. ` +
      "Nothing of the failed step was stored.",
    { file, cause: code || reason, action },
    err,
  );
}
