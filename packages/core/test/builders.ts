import {
  type CalendarSettings,
  type EventRecord,
  type Interval,
  type JobPayload,
  type JobRecord,
  type LocalTimeRange,
  pendingEvent,
  type Weekday,
} from '../src/index.js'

export const MINUTE = 60_000
export const HOUR = 3_600_000
export const DAY = 86_400_000

/** An instant from an RFC 3339 string. */
export function at(iso: string): number {
  const instant = Date.parse(iso)
  if (Number.isNaN(instant)) throw new Error(`bad test instant ${iso}`)
  return instant
}

export function span(start: string, end: string): Interval {
  return { start: at(start), end: at(end) }
}

export function iso(instant: number): string {
  return new Date(instant).toISOString()
}

export function isoSpan(interval: Interval): [string, string] {
  return [iso(interval.start), iso(interval.end)]
}

export function week(
  days: Partial<Record<Weekday, LocalTimeRange[]>> = {},
): Record<Weekday, LocalTimeRange[]> {
  return { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [], ...days }
}

const nineToFive = [{ start: '09:00', end: '17:00' }]

/** A calendar in New York, mon–fri 09:00–17:00, 15-minute slots, no buffer/notice, 60 days. */
export function aCalendar(overrides: Partial<CalendarSettings> = {}): CalendarSettings {
  return {
    id: 'default',
    timezone: 'America/New_York',
    workingHours: week({
      mon: nineToFive,
      tue: nineToFive,
      wed: nineToFive,
      thu: nineToFive,
      fri: nineToFive,
    }),
    bufferMinutes: 0,
    slotMinutes: 15,
    minNoticeMinutes: 0,
    horizonDays: 60,
    blackouts: [],
    ...overrides,
  }
}

/** A pending auto event "evt_new" of 30 minutes, created at 0, unless the overrides say otherwise. */
export function anEvent(overrides: Partial<EventRecord> = {}): EventRecord {
  const request = {
    title: 'Board sync',
    description: null,
    location: null,
    attendees: [],
    durationMinutes: 30,
    when: { placement: 'auto' as const, window: null },
  }
  return { ...pendingEvent(request, { id: 'evt_new', calendarId: 'default' }, 0), ...overrides }
}

/** A stored-`scheduled` event occupying [start, end). */
export function aScheduled(
  id: string,
  start: number,
  end: number,
  overrides: Partial<EventRecord> = {},
): EventRecord {
  return anEvent({
    id,
    status: 'scheduled',
    start,
    end,
    durationMinutes: (end - start) / MINUTE,
    ...overrides,
  })
}

/** A job in hand (state `active`) for `payload` on `eventId`, created at `createdAt`. */
export function anActiveJob(
  payload: JobPayload,
  { id = 'job_1', eventId = 'evt_a', createdAt }: { id?: string; eventId?: string; createdAt: number },
): JobRecord {
  return {
    id,
    calendarId: 'default',
    type: payload.type,
    eventId,
    state: 'active',
    payload,
    outcome: null,
    error: null,
    createdAt,
    finishedAt: null,
  }
}
