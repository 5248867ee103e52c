import type { EventRecord, EventStatus, Instant, JobRecord } from '@scheduler/core'
import { aJob, anEvent, DAY, MINUTE, T0 } from '@scheduler/test-helpers/builders'
import type { Test } from 'tap'
import type { EventListQuery, Store } from '../src/port.js'

/** What each aggregate's scenarios get: a title and a body run against an empty store of its own. */
export type Scenario = (title: string, body: (t: Test, store: Store) => Promise<void>) => unknown

export const CAL = 'default'
export const OTHER = 'other'

/** An event with every optional field filled, to check that records survive the round trip. */
export function aRichEvent(): EventRecord {
  return anEvent({
    title: 'Quarterly review — “Q3”',
    description: 'Agenda:\n1. numbers\n2. plans',
    location: 'Room 4',
    attendees: [
      { email: 'a@example.com', name: 'A', required: true },
      { email: 'b@example.com', required: false },
    ],
    durationMinutes: 45,
    placement: 'auto',
    window: { kind: 'range', notBefore: T0, notAfter: null },
    status: 'failed',
    failure: {
      code: 'NO_SLOT_AVAILABLE',
      message: 'No slot in the window',
      alternatives: [{ start: T0 + DAY, end: T0 + DAY + 45 * MINUTE }],
    },
    attendeeConflicts: ['b@example.com'],
    outsideWorkingHours: true,
    version: 3,
    sequence: 2,
    createdAt: T0 - 2 * DAY + 123,
    updatedAt: T0 - DAY + 456,
  })
}

export function aCreate(calendarId = CAL): { job: JobRecord; event: EventRecord } {
  const event = anEvent({ calendarId })
  return { event, job: aJob({ calendarId, eventId: event.id }) }
}

export function finished(at: Instant) {
  return { state: 'completed' as const, outcome: { displaced: [] }, error: null, finishedAt: at }
}

export async function seed(store: Store, events: EventRecord[]): Promise<void> {
  for (const event of events) {
    await store.submit({
      calendarId: event.calendarId,
      event,
      job: aJob({ calendarId: event.calendarId, eventId: event.id }),
    })
  }
}

export async function listAll(
  t: Test,
  store: Store,
  calendarId: string,
  query: EventListQuery,
): Promise<{ items: EventRecord[]; pages: number }> {
  const items: EventRecord[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const page = await store.listEvents(calendarId, { ...query, ...(cursor === undefined ? {} : { cursor }) })
    pages += 1
    t.ok(page.items.length <= query.limit, 'a page holds at most limit items')
    if (page.nextCursor !== null) t.equal(page.items.length, query.limit, 'only the last page is short')
    items.push(...page.items)
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined && pages < 1000)
  return { items, pages }
}

export function clientStatus(event: EventRecord, now: Instant): EventStatus {
  if (event.status === 'scheduled' && event.start !== null && event.end !== null) {
    if (event.end <= now) return 'completed'
    if (event.start <= now) return 'in_progress'
  }
  return event.status
}

/** The oracle: which events a query answers, in which order. */
export function expectedIds(events: EventRecord[], query: EventListQuery): string[] {
  const matching = events.filter((e) => {
    if (e.calendarId !== CAL) return false
    if (query.from !== undefined || query.to !== undefined) {
      if (e.start === null || e.end === null) return false
      if (query.to !== undefined && !(e.start < query.to)) return false
      if (query.from !== undefined && !(e.end > query.from)) return false
    }
    if (query.statuses !== undefined && !query.statuses.includes(clientStatus(e, query.now))) return false
    if (query.updatedSince !== undefined && e.updatedAt < query.updatedSince) return false
    return true
  })
  return ids(matching.sort(query.order === 'start' ? compareByStart : compareByUpdate))
}

export function compareByStart(a: EventRecord, b: EventRecord): number {
  if (a.start !== b.start) {
    if (a.start === null) return 1
    if (b.start === null) return -1
    return a.start - b.start
  }
  return a.createdAt - b.createdAt || compareIds(a.id, b.id)
}

export function compareByUpdate(a: EventRecord, b: EventRecord): number {
  return a.updatedAt - b.updatedAt || compareIds(a.id, b.id)
}

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function ids(records: { id: string }[]): string[] {
  return records.map((r) => r.id)
}

export function byId<T extends { id: string }>(records: T[]): T[] {
  return [...records].sort((a, b) => compareIds(a.id, b.id))
}

export function byStart<T extends { start: Instant; end: Instant }>(intervals: T[]): T[] {
  return [...intervals].sort((a, b) => a.start - b.start || a.end - b.end)
}

export async function rejectsWith(
  t: Test,
  promise: Promise<unknown>,
  errorClass: new (...args: never[]) => Error,
  message = `rejects with ${errorClass.name}`,
): Promise<void> {
  try {
    await promise
    t.fail(`${message}: it resolved`)
  } catch (error) {
    t.ok(error instanceof errorClass, message, { found: error })
  }
}
