/**
 * Errors the CLI turns into exit codes: 1 for a failed operation (or a failed verification),
 * 2 for a usage error (bad arguments or options).
 * @packageDocumentation
 */

/** Exit codes of `cached-macros`. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** An error reported as `cached-macros: error: <message>` with its exit code, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A bad argument or option value detected after commander's own checks (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

/** The first line of an error's message (Babel errors carry a code frame after it). */
export function firstLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split('\n')[0];
}
