// pino JSON lines on stderr for the daemons (stdout stays for command output and --json).
import { pino, type Logger } from "pino";

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino(
    { name: opts.name ?? "specgrid", level: opts.level ?? process.env.SPECGRID_LOG_LEVEL ?? "info" },
    pino.destination(2),
  );
}
