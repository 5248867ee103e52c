import ICAL from 'ical.js'
import {
  checkBody,
  type ImportRow,
  type ReadResult,
  type RowProblem,
  withIdempotencyKeys,
} from './import-rows.js'

/** The line (1-based) of each `BEGIN:VEVENT`, in order, to report problems where they are in the file. */
function veventLines(text: string): number[] {
  const lines: number[] = []
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^BEGIN:VEVENT\s*$/i.test(line)) lines.push(i + 1)
  })
  return lines
}

function iso(time: ICAL.Time): string {
  return time.toJSDate().toISOString()
}

/**
 * Reads an iCalendar file (RFC 5545): each VEVENT becomes one event. A timed `DTSTART` becomes a fixed
 * `start` (duration from `DTEND` or `DURATION`); an all-day `DTSTART` (a DATE) becomes an auto event on
 * that date and needs a `DURATION` of whole minutes. `SUMMARY` is the title; `DESCRIPTION`, `LOCATION`
 * and `ATTENDEE` (`mailto:`, `CN`, `ROLE=OPT-PARTICIPANT` → optional) carry over. `STATUS:CANCELLED`
 * events are passed over; recurring events (`RRULE`, `RDATE`) are refused, as v1 has no recurrence.
 * The key of a row includes its `UID`.
 */
export function readIcs(text: string): ReadResult {
  const problems: RowProblem[] = []
  const passed: RowProblem[] = []
  let root: ICAL.Component
  try {
    root = new ICAL.Component(ICAL.parse(text))
  } catch (error) {
    return {
      rows: [],
      problems: [{ line: 1, message: `not valid iCalendar: ${(error as Error).message}` }],
      passed,
    }
  }
  const starts = veventLines(text)
  const rows: (Omit<ImportRow, 'idempotencyKey'> & { identity?: string })[] = []
  root.getAllSubcomponents('vevent').forEach((component, index) => {
    const line = starts[index] ?? 1
    const event = new ICAL.Event(component)
    if (String(component.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED') {
      passed.push({ line, message: `"${event.summary}" is cancelled` })
      return
    }
    if (component.hasProperty('rrule') || component.hasProperty('rdate')) {
      problems.push({ line, message: 'recurring events (RRULE/RDATE) are not supported' })
      return
    }
    const start = event.startDate
    if (!start) {
      problems.push({ line, message: 'the event has no DTSTART' })
      return
    }
    const request: Record<string, unknown> = { title: event.summary ?? '' }
    if (start.isDate) {
      const duration = component.getFirstPropertyValue('duration') as ICAL.Duration | null
      if (!duration) {
        problems.push({ line, message: 'an all-day event needs a DURATION to be placed on its date' })
        return
      }
      request.date = start.toString().slice(0, 10)
      request.durationMinutes = duration.toSeconds() / 60
    } else {
      request.start = iso(start)
      request.durationMinutes = event.duration.toSeconds() / 60
    }
    if (event.description) request.description = event.description
    if (event.location) request.location = event.location
    const attendees = event.attendees.flatMap((property) => {
      const value = String(property.getFirstValue() ?? '')
      if (!/^mailto:/i.test(value)) return []
      const name = property.getParameter('cn')
      const required = String(property.getParameter('role') ?? '').toUpperCase() !== 'OPT-PARTICIPANT'
      return [{ email: value.replace(/^mailto:/i, ''), ...(name ? { name: String(name) } : {}), required }]
    })
    if (attendees.length > 0) request.attendees = attendees
    const found = checkBody(request)
    if (found.length > 0) problems.push({ line, message: found.join('; ') })
    else rows.push({ line, body: request, ...(event.uid ? { identity: event.uid } : {}) })
  })
  return { rows: withIdempotencyKeys(rows, 'ics'), problems, passed }
}
