// How a daemon command ends: it serves until SIGTERM or SIGINT, then stops its parts within a bound. A part
// whose dependency is gone (NATS down, coordinator unreachable) can wait on it for minutes inside a drain or
// a request; past the bound the process exits anyway (code 1) and says so, and a second signal exits at once.

export interface ServeUntilSignalOptions {
  /** Stops the daemon's parts (drain, disconnect). */
  stop: () => Promise<void>;
  /** How long `stop` may take after the signal. */
  timeoutMs: number;
  /** The daemon, for the message ("coordinator", "agent"). */
  what: string;
  /** Where the message goes (stderr). */
  warn: (message: string) => void;
}

/** Resolves once the daemon stopped cleanly after a signal; exits the process when it could not in time. */
export async function serveUntilSignal(o: ServeUntilSignalOptions): Promise<void> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  const again = (): void => {
    o.warn(`${o.what}: second signal; exiting without finishing the shutdown`);
    process.exit(1);
  };
  process.once("SIGTERM", again);
  process.once("SIGINT", again);
  const timer = setTimeout(() => {
    o.warn(
      `${o.what}: shutdown after ${signal} did not finish within ${o.timeoutMs} ms (a dependency is down?); ` +
        "exiting anyway. Raise --shutdown-timeout-ms to wait longer",
    );
    process.exit(1);
  }, o.timeoutMs);
  try {
    await o.stop();
  } finally {
    clearTimeout(timer);
    process.off("SIGTERM", again);
    process.off("SIGINT", again);
  }
}

/** The --shutdown-timeout-ms flag's default. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;
