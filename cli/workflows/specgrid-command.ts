// The base of every specgrid command: oclif's own catch sets the exit code from `err.exitCode`, but the
// errors `this.error(msg, { exit: 2 })` and flag parsing throw carry it in `err.oclif.exit`. Without --json
// oclif's handler reads the latter; with --json the error is printed as JSON and the process exited 1,
// so a script could not tell bad input (2) from a failed run (1). Here both paths exit with the code the
// error names.
import { Command } from "@oclif/core";

/** The exit code an error asks for: `oclif.exit` (CLIError, parse errors), then `exitCode`, else 1. */
export function exitCodeOf(err: unknown): number {
  if (typeof err === "object" && err !== null) {
    const oclifExit = (err as { oclif?: { exit?: unknown } }).oclif?.exit;
    if (typeof oclifExit === "number") return oclifExit;
    const exitCode = (err as { exitCode?: unknown }).exitCode;
    if (typeof exitCode === "number") return exitCode;
  }
  return 1;
}

export abstract class SpecgridCommand extends Command {
  /** Stops with exit 2 (bad input) and the error's message: what the user gave was wrong, not the run. */
  protected badInput(err: unknown): never {
    return this.error(err instanceof Error ? err.message : String(err), { exit: 2 });
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    process.exitCode ??= exitCodeOf(err);
    return super.catch(err);
  }

  /**
   * A flag or argument error as --json prints it: its message (which names what was wrong) and exit code,
   * not oclif's whole parse state (every flag's definition and the argv, a hundred lines before the message).
   */
  protected override toErrorJson(err: unknown): unknown {
    if (err instanceof Error && "parse" in err) {
      const { parse: _parse, ...rest } = err as Error & Record<string, unknown>;
      return { error: { ...rest, name: err.name, message: err.message } };
    }
    return super.toErrorJson(err) as unknown;
  }
}
