import { createHash } from 'node:crypto'

/** One event to create, read from line `line` of the import file. */
export interface ImportRow {
  line: number
  /** The `POST /v1/events` body. */
  body: Record<string, unknown>
  /** Derived from the row's content (and its occurrence), so a re-run of the same file replays. */
  idempotencyKey: string
}

/** A row that cannot become an event, with its line number and why. */
export interface RowProblem {
  line: number
  message: string
}

export interface ReadResult {
  rows: ImportRow[]
  problems: RowProblem[]
  /** Rows passed over on purpose (e.g. cancelled ICS events), with why. */
  passed: RowProblem[]
}

const DATE = /^\d{4}-\d{2}-\d{2}$/
// RFC 3339 with an offset, as the API requires.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/

/**
 * Checks a create body the way the contract states the rules (title 1–200 characters, duration 5–1440
 * whole minutes, at most one way to say when, RFC 3339 instants with an offset, `YYYY-MM-DD` dates,
 * unique attendee emails) so that bad rows are reported by line before anything is sent. Answers the
 * problems found (empty when the body looks valid; the service still has the last word).
 */
export function checkBody(body: Record<string, unknown>): string[] {
  const problems: string[] = []
  const title = body.title
  if (typeof title !== 'string' || title.trim() === '') problems.push('title is missing')
  else if ([...title].length > 200) problems.push('title is longer than 200 characters')
  const duration = body.durationMinutes
  if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 5 || duration > 1440)
    problems.push('durationMinutes must be whole minutes from 5 to 1440')
  const ways = [
    body.start !== undefined,
    body.date !== undefined,
    body.notBefore !== undefined || body.notAfter !== undefined,
  ]
  if (ways.filter(Boolean).length > 1) problems.push('give at most one of start, date, notBefore/notAfter')
  for (const field of ['start', 'notBefore', 'notAfter'] as const) {
    const value = body[field]
    if (
      value !== undefined &&
      (typeof value !== 'string' || !INSTANT.test(value) || Number.isNaN(Date.parse(value)))
    )
      problems.push(`${field} must be an RFC 3339 time with an offset, e.g. 2026-12-01T14:00:00Z`)
  }
  if (body.date !== undefined && (typeof body.date !== 'string' || !DATE.test(body.date)))
    problems.push('date must be YYYY-MM-DD')
  const attendees = (body.attendees ?? []) as { email: string }[]
  const seen = new Set<string>()
  for (const attendee of attendees) {
    if (!EMAIL.test(attendee.email)) problems.push(`attendee "${attendee.email}" is not an email address`)
    const key = attendee.email.toLowerCase()
    if (seen.has(key)) problems.push(`attendee ${attendee.email} is listed twice`)
    seen.add(key)
  }
  if (attendees.length > 100) problems.push('at most 100 attendees')
  return problems
}

/**
 * Gives each row an idempotency key from its body (and `identity`, e.g. an ICS `UID`) and how many identical rows came before it, so that
 * a re-run of the same file replays every row (within the service's 24 h idempotency window) while two
 * identical rows still make two events.
 */
export function withIdempotencyKeys(
  rows: (Omit<ImportRow, 'idempotencyKey'> & { identity?: string })[],
  source: string,
): ImportRow[] {
  const seen = new Map<string, number>()
  return rows.map(({ identity, ...row }) => {
    const content = JSON.stringify([identity ?? null, row.body])
    const occurrence = seen.get(content) ?? 0
    seen.set(content, occurrence + 1)
    const digest = createHash('sha256').update(`${source}\n${content}\n${occurrence}`).digest('base64url')
    return { ...row, idempotencyKey: `import-${digest.slice(0, 43)}` }
  })
}
