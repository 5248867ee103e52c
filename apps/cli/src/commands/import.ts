import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import cliProgress from 'cli-progress'
import { type Accepted, type ApiClient, ApiError } from '../api-client.js'
import { CliExit, ExitCode } from '../exit-codes.js'
import { readCsv } from '../import/csv-rows.js'
import { readIcs } from '../import/ics-rows.js'
import type { ImportRow, ReadResult, RowProblem } from '../import/import-rows.js'
import type { Output } from '../output.js'
import { settle } from '../settle.js'

export interface ImportOptions {
  format?: 'csv' | 'ics'
  skipInvalid?: boolean
  wait: boolean
  concurrency: string
  timeout: string
}

/** How one row ended. */
type RowOutcome =
  | { line: number; title: string; result: 'placed'; eventId: string; start: string | null }
  | { line: number; title: string; result: 'failed'; eventId?: string; reason: string }
  | { line: number; title: string; result: 'skipped'; eventId: string; reason: string }
  | { line: number; title: string; result: 'accepted'; eventId: string }

/** The closing summary (`--json` prints it as is). */
export interface ImportSummary {
  file: string
  rows: number
  placed: number
  accepted: number
  failed: { line: number; title: string; reason: string }[]
  skipped: { line: number; title?: string; reason: string }[]
  invalid: RowProblem[]
}

const RETRIES = 5

async function readRows(path: string, format: ImportOptions['format']): Promise<ReadResult> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new CliExit(ExitCode.USAGE, `cannot read ${path}: ${(error as Error).message}`)
  }
  const kind = format ?? (extname(path).toLowerCase() === '.ics' ? 'ics' : 'csv')
  return kind === 'ics' ? readIcs(text) : readCsv(text)
}

/** Sends one row, retrying what may pass later (no answer, 429, 5xx): its idempotency key makes that safe. */
async function submit(api: ApiClient, row: ImportRow): Promise<{ answer: Accepted; replayed: boolean }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await api.post<Accepted>('/v1/events', row.body, {
        'idempotency-key': row.idempotencyKey,
      })
      return { answer: answer.body, replayed: answer.headers.get('idempotent-replayed') === 'true' }
    } catch (error) {
      const retriable =
        error instanceof ApiError && (error.status === 0 || error.status === 429 || error.status >= 500)
      if (!retriable || attempt >= RETRIES) throw error
      await sleep(250 * 2 ** attempt)
    }
  }
}

async function importRow(api: ApiClient, row: ImportRow, options: ImportOptions): Promise<RowOutcome> {
  const title = String(row.body.title)
  let submitted: Awaited<ReturnType<typeof submit>>
  try {
    submitted = await submit(api, row)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    return { line: row.line, title, result: 'failed', reason: error.message }
  }
  const { answer, replayed } = submitted
  const eventId = answer.event.id
  if (replayed)
    return { line: row.line, title, result: 'skipped', eventId, reason: `already imported as ${eventId}` }
  if (!options.wait) return { line: row.line, title, result: 'accepted', eventId }
  const settled = await settle(api, answer.job.id, Number(options.timeout) * 1000)
  if (settled.applied)
    return { line: row.line, title, result: 'placed', eventId, start: settled.event?.start ?? null }
  const reason =
    settled.job.state === 'failed'
      ? `${settled.job.error?.code}: ${settled.job.error?.message}`
      : `${settled.event?.failure?.code}: ${settled.event?.failure?.message}`
  return { line: row.line, title, result: 'failed', eventId, reason }
}

/** Runs `work` over `items` with at most `limit` at a time, in order of start. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  async function lane() {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
  return results
}

function summarize(file: string, read: ReadResult, outcomes: RowOutcome[]): ImportSummary {
  return {
    file,
    rows: read.rows.length + read.problems.length + read.passed.length,
    placed: outcomes.filter((o) => o.result === 'placed').length,
    accepted: outcomes.filter((o) => o.result === 'accepted').length,
    failed: outcomes.flatMap((o) =>
      o.result === 'failed' ? [{ line: o.line, title: o.title, reason: o.reason }] : [],
    ),
    skipped: [
      ...outcomes.flatMap((o) =>
        o.result === 'skipped' ? [{ line: o.line, title: o.title, reason: o.reason }] : [],
      ),
      ...read.passed.map((p) => ({ line: p.line, reason: p.message })),
      ...read.problems.map((p) => ({ line: p.line, reason: `invalid: ${p.message}` })),
    ].sort((a, b) => a.line - b.line),
    invalid: read.problems,
  }
}

function humanSummary(summary: ImportSummary): string {
  const lines = [
    `${summary.file}: ${summary.rows} rows — ${summary.placed} placed, ${summary.accepted} accepted (not waited for), ` +
      `${summary.failed.length} failed, ${summary.skipped.length} skipped`,
  ]
  for (const row of summary.failed) lines.push(`  line ${row.line}: failed: "${row.title}": ${row.reason}`)
  for (const row of summary.skipped) lines.push(`  line ${row.line}: skipped: ${row.reason}`)
  return lines.join('\n')
}

/**
 * `import FILE`: a backlog (CSV or iCalendar) becomes events. Every row is checked first; with invalid
 * rows nothing is sent unless `--skip-invalid`. Rows are sent with idempotency keys derived from their
 * content, so a re-run creates nothing twice (within the service's 24 h idempotency window); then each
 * job is waited for (unless `--no-wait`) and a summary says what was placed, failed (with reasons) and
 * skipped. Exit `NOT_APPLIED` when any row did not end placed or already imported.
 */
export async function importFile(
  api: ApiClient,
  out: Output,
  path: string,
  options: ImportOptions,
): Promise<void> {
  const concurrency = Number(options.concurrency)
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new CliExit(
      ExitCode.USAGE,
      `--concurrency must be a whole number from 1 to 64, not "${options.concurrency}"`,
    )
  const read = await readRows(path, options.format)
  if (read.problems.length > 0 && !options.skipInvalid) {
    const summary = summarize(path, read, [])
    out.result({ ...summary, imported: false }, () =>
      [
        `${path}: ${read.problems.length} invalid row(s); nothing was imported (fix them, or pass --skip-invalid):`,
        ...read.problems.map((p) => `  line ${p.line}: ${p.message}`),
      ].join('\n'),
    )
    throw new CliExit(ExitCode.USAGE, '')
  }
  const bar = out.interactive
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: 'importing [{bar}] {value}/{total} rows | {eta_formatted} left' },
        cliProgress.Presets.shades_classic,
      )
    : null
  bar?.start(read.rows.length, 0)
  let outcomes: RowOutcome[]
  try {
    outcomes = await pool(read.rows, concurrency, async (row) => {
      const outcome = await importRow(api, row, options)
      bar?.increment()
      return outcome
    })
  } finally {
    bar?.stop()
  }
  const summary = summarize(path, read, outcomes)
  out.result(summary, () => humanSummary(summary))
  const missed = summary.failed.length + summary.invalid.length
  if (missed > 0) throw new CliExit(ExitCode.NOT_APPLIED, '')
}
