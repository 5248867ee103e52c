/**
 * The `scheduler` command line's commands and options (entry points: `main.ts`, `bin/scheduler.js`).
 * Exit codes: see `exit-codes.ts` and the README.
 */

import { mintToken } from '@scheduler/api/mint-token'
import { isScope, type Scope } from '@scheduler/api/scopes'
import { loadConfig } from '@scheduler/config'
import { Command, CommanderError, Option } from 'commander'
import { ApiError, createApiClient } from './api-client.js'
import {
  cancelEvent,
  createEvent,
  deleteEvent,
  listEvents,
  showEvent,
  syncEvents,
  timeoutMs,
  watchJob,
} from './commands/events.js'
import { importFile } from './commands/import.js'
import { CliExit, ExitCode } from './exit-codes.js'
import { createOutput } from './output.js'

interface GlobalOptions {
  url: string
  token?: string
  json?: boolean
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** The bearer token: `--token`, `SCHEDULER_TOKEN`, or one minted from the local configuration. */
function bearer(options: GlobalOptions): string {
  if (options.token) return options.token
  try {
    return mintToken(loadConfig(), { ttlSeconds: 3600 })
  } catch (error) {
    throw new CliExit(
      ExitCode.USAGE,
      `no --token or SCHEDULER_TOKEN, and none can be minted here: ${(error as Error).message}`,
    )
  }
}

export function buildProgram(): Command {
  const program = new Command()
    .name('scheduler')
    .description('Talk to scheduler-api: tokens, events, jobs and backlog import.')
    .addOption(new Option('--url <url>', 'the service').env('SCHEDULER_URL').default('http://127.0.0.1:3000'))
    .addOption(
      new Option('--token <jwt>', 'bearer token (default: minted from the local JWT_SECRET)').env(
        'SCHEDULER_TOKEN',
      ),
    )
    .option('--json', 'print results as JSON (for scripts)')
    .showHelpAfterError()
    .exitOverride()

  const context = (command: Command) => {
    const options = command.optsWithGlobals<GlobalOptions>()
    const out = createOutput(Boolean(options.json))
    return { out, api: () => createApiClient({ baseUrl: options.url, token: bearer(options) }) }
  }
  const wait = (command: Command) =>
    command
      .option('--wait', 'wait until the worker has applied the change; exit 3 if it did not take')
      .option('--timeout <seconds>', 'how long --wait waits', '60')

  program
    .command('token')
    .description(
      'print an HS256 access token from the local configuration (JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE)',
    )
    .argument('[scopes...]', 'scopes to grant (default: all four)')
    .option('--ttl <seconds>', 'lifetime', '3600')
    .option('--sub <subject>', 'the token subject', 'auto-event-manager')
    .action((scopes: string[], options: { ttl: string; sub: string }, command: Command) => {
      const { out } = context(command)
      const ttlSeconds = Number(options.ttl)
      if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
        throw new CliExit(ExitCode.USAGE, `--ttl must be a positive number of seconds, not "${options.ttl}"`)
      const unknown = scopes.filter((scope) => !isScope(scope))
      if (unknown.length > 0) throw new CliExit(ExitCode.USAGE, `unknown scope(s): ${unknown.join(', ')}`)
      const token = mintToken(loadConfig(), {
        ttlSeconds,
        subject: options.sub,
        ...(scopes.length > 0 ? { scopes: scopes as Scope[] } : {}),
      })
      out.result({ token }, () => token)
    })

  const events = program.command('events').description('create, list, show, cancel and delete events')
  wait(
    events
      .command('create')
      .description('create an event (auto-placed unless --start is given)')
      .requiredOption('--title <text>', 'title (1–200 characters)')
      .requiredOption('--duration <minutes>', 'duration in minutes (5–1440)')
      .option('--start <time>', 'fixed start, RFC 3339 with offset (overrides auto-placed events)')
      .option('--date <YYYY-MM-DD>', 'auto-place on this calendar-local day')
      .option('--not-before <time>', 'auto-place at or after this time')
      .option('--not-after <time>', 'auto-place to end by this time')
      .option('--description <text>', 'description')
      .option('--location <text>', 'location')
      .option('--attendee <email>', 'required attendee (repeatable)', collect, [])
      .option('--optional-attendee <email>', 'optional attendee (repeatable)', collect, [])
      .option('--idempotency-key <key>', 'make a retry of this command safe'),
  ).action(async (options, command: Command) => {
    const { out, api } = context(command)
    await createEvent(api(), out, options)
  })
  events
    .command('list')
    .description('list events (by start; unplaced last)')
    .option('--status <list>', 'comma list: pending,scheduled,in_progress,completed,cancelled,failed')
    .option('--from <time>', 'occupying time overlaps [from, to)')
    .option('--to <time>', 'see --from')
    .option('--limit <n>', 'page size (1–500)', '50')
    .option('--all', 'follow the cursor through every page')
    .action(async (options, command: Command) => {
      const { out, api } = context(command)
      await listEvents(api(), out, options)
    })
  events
    .command('sync')
    .description('keep a copy: every event and a sync token, or (--since) every change since that token')
    .option('--since <syncToken>', 'the syncToken the last sync printed')
    .action(async (options: { since?: string }, command: Command) => {
      const { out, api } = context(command)
      await syncEvents(api(), out, options.since)
    })
  events
    .command('show')
    .argument('<id>')
    .description('show one event with its failure and alternatives')
    .action(async (id: string, _options, command: Command) => {
      const { out, api } = context(command)
      await showEvent(api(), out, id)
    })
  wait(
    events.command('cancel').argument('<id>').description('cancel an event (kept, its time freed)'),
  ).action(async (id: string, options, command: Command) => {
    const { out, api } = context(command)
    await cancelEvent(api(), out, id, options)
  })
  wait(events.command('delete').argument('<id>').description('delete an event')).action(
    async (id: string, options, command: Command) => {
      const { out, api } = context(command)
      await deleteEvent(api(), out, id, options)
    },
  )

  program
    .command('watch')
    .argument('<jobId>')
    .description('wait for a job to settle; exit 0 when the change took, 3 when it did not, 4 on timeout')
    .option('--timeout <seconds>', 'how long to wait', '60')
    .action(async (jobId: string, options: { timeout: string }, command: Command) => {
      const { out, api } = context(command)
      await watchJob(api(), out, jobId, timeoutMs(options.timeout))
    })

  program
    .command('import')
    .argument('<file>', 'a .csv or .ics file')
    .description('turn a backlog (CSV or iCalendar) into events; a re-run creates nothing twice')
    .addOption(
      new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'ics']),
    )
    .option('--skip-invalid', 'import the valid rows even when some are invalid (they are reported)')
    .option('--no-wait', 'do not wait for placement (the summary then counts rows as accepted)')
    .option('--concurrency <n>', 'requests in flight', '4')
    .option('--timeout <seconds>', 'how long to wait for each row to be placed', '120')
    .action(async (file: string, options, command: Command) => {
      const { out, api } = context(command)
      await importFile(api(), out, file, options)
    })

  return program
}

/** Runs the CLI with `argv` (as `process.argv`) and answers the exit code. */
export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv)
    return ExitCode.OK
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE
    }
    if (error instanceof CliExit) {
      if (error.message) process.stderr.write(`${error.message}\n`)
      return error.code
    }
    if (error instanceof ApiError) {
      process.stderr.write(`error: ${error.message}\n`)
      return ExitCode.SERVICE
    }
    throw error
  }
}
