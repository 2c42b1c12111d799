/**
 * The `vigil` CLI's exit codes, the same for every command, so scripts and runbooks can branch on
 * them:
 *   0  done (or: everything checked is healthy)
 *   1  failed: the service refused (4xx problem), a check failed, a verification found tampering
 *   2  usage or configuration error (bad flag, missing credential): nothing was sent
 *   3  unavailable: a service could not be reached or answered 5xx/503 (retry later)
 */
export const ExitCode = { ok: 0, failed: 1, usage: 2, unavailable: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line on stderr (or a JSON object with --json) and exits with its code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.failed,
    /** Extra machine-readable detail for --json (a problem body, the failing checks). */
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

export class UnavailableError extends CliError {
  constructor(message: string, detail?: unknown) {
    super(message, ExitCode.unavailable, detail);
  }
}
