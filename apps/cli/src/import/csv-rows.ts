import { parse } from 'csv-parse/sync'
import {
  checkBody,
  type ImportRow,
  type ReadResult,
  type RowProblem,
  withIdempotencyKeys,
} from './import-rows.js'

/** The CSV columns the import understands (header names are matched case-insensitively). */
export const CSV_COLUMNS = [
  'title',
  'durationMinutes',
  'start',
  'date',
  'notBefore',
  'notAfter',
  'description',
  'location',
  'attendees',
  'optionalAttendees',
] as const

/** `Ann <ann@x.com>; bob@y.com` → attendees. */
function attendeeList(text: string, required: boolean) {
  return text
    .split(/[;,]/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^(.*?)\s*<([^>]+)>$/.exec(part)
      return match
        ? { email: match[2]!.trim(), name: match[1]!.replace(/^"|"$/g, '').trim() || undefined, required }
        : { email: part, required }
    })
    .map(({ name, ...rest }) => (name ? { ...rest, name } : rest))
}

/**
 * Reads a backlog CSV: a header row naming columns from `CSV_COLUMNS` (`title` and `durationMinutes`
 * required), then one event per row. Empty cells are absent fields; `attendees` and `optionalAttendees`
 * are `;`-separated `email` or `Name <email>` lists. Line numbers are the file's (the header is line 1).
 */
export function readCsv(text: string): ReadResult {
  const problems: RowProblem[] = []
  let records: { record: string[]; info: { lines: number } }[]
  try {
    records = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
    }) as unknown as typeof records
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 1
    return {
      rows: [],
      problems: [{ line, message: `not valid CSV: ${(error as Error).message}` }],
      passed: [],
    }
  }
  const [header, ...body] = records
  if (!header) return { rows: [], problems: [{ line: 1, message: 'the file is empty' }], passed: [] }
  const columns = header.record.map((name) => CSV_COLUMNS.find((c) => c.toLowerCase() === name.toLowerCase()))
  const unknown = header.record.filter((_, i) => !columns[i])
  if (unknown.length > 0)
    problems.push({
      line: 1,
      message: `unknown column(s) ${unknown.join(', ')}; known: ${CSV_COLUMNS.join(', ')}`,
    })
  for (const needed of ['title', 'durationMinutes'] as const)
    if (!columns.includes(needed)) problems.push({ line: 1, message: `the header has no ${needed} column` })
  if (problems.length > 0) return { rows: [], problems, passed: [] }

  const rows: Omit<ImportRow, 'idempotencyKey'>[] = []
  for (const { record, info } of body) {
    const line = info.lines
    if (record.length > columns.length) {
      problems.push({
        line,
        message: `${record.length} cells, but the header names ${columns.length} columns`,
      })
      continue
    }
    const cells = new Map<string, string>()
    record.forEach((cell, i) => {
      if (cell !== '') cells.set(columns[i]!, cell)
    })
    const duration = cells.get('durationMinutes')
    const attendees = [
      ...attendeeList(cells.get('attendees') ?? '', true),
      ...attendeeList(cells.get('optionalAttendees') ?? '', false),
    ]
    const request: Record<string, unknown> = {}
    for (const field of [
      'title',
      'start',
      'date',
      'notBefore',
      'notAfter',
      'description',
      'location',
    ] as const) {
      const value = cells.get(field)
      if (value !== undefined) request[field] = value
    }
    if (duration !== undefined) request.durationMinutes = /^\d+$/.test(duration) ? Number(duration) : duration
    if (attendees.length > 0) request.attendees = attendees
    const found = checkBody(request)
    if (found.length > 0) problems.push({ line, message: found.join('; ') })
    else rows.push({ line, body: request })
  }
  return { rows: withIdempotencyKeys(rows, 'csv'), problems, passed: [] }
}
