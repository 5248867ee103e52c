/**
 * The CLI's exit codes (documented in the README): scripts branch on them.
 * - 0 `OK`: done; a watched change applied (the event is scheduled, cancelled or deleted).
 * - 1 `USAGE`: bad arguments or input (unknown option, unreadable file, invalid import rows).
 * - 2 `SERVICE`: the service refused the request (4xx) or failed or could not be reached.
 * - 3 `NOT_APPLIED`: the change was accepted but did not take: placement failed, or the job failed
 *   (for `import`: at least one row did not end scheduled).
 * - 4 `TIMEOUT`: waiting for a job took longer than `--timeout`.
 */
export const ExitCode = { OK: 0, USAGE: 1, SERVICE: 2, NOT_APPLIED: 3, TIMEOUT: 4 } as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** Thrown to end the program with a given code and message (the message goes to stderr). */
export class CliExit extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message)
    this.name = 'CliExit'
  }
}
