import type { EventCreateRequest, EventPatchRequest } from '@scheduler/contract'
import { parseWireInstant } from '@scheduler/contract'
import {
  type Attendee,
  type CalendarSettings,
  type EventChanges,
  type EventStatus,
  type Instant,
  isSupportedInstant,
  isSupportedSpan,
  localDate,
  localDayRange,
  type NewEventRequest,
  type PlacementRequest,
  SUPPORTED_RANGE_TEXT,
} from '@scheduler/core'
import { UnprocessableProblem, ValidationProblem } from '../errors.js'

/** A create request in domain terms. */
export type CreateInput = NewEventRequest

/** A PATCH in domain terms; `status` is what was asked for, before it is checked (422). */
export interface PatchInput {
  changes: Omit<EventChanges, 'status'>
  status?: EventStatus
}

// The largest `bufferMinutes` a calendar may have (core's `validateCalendarSettings`)
const LARGEST_BUFFER_MINUTES = 1440

type WhenFields = Pick<EventCreateRequest, 'start' | 'date' | 'notBefore' | 'notAfter'>

/**
 * Parses an instant that passed the schema (`date-time`): what Date cannot read (leap seconds) is a 400, an
 * instant outside the supported range (core's `SUPPORTED_RANGE`) a 422. Every instant a request carries is
 * read through here.
 */
export function instantAt(path: string, text: string): Instant {
  let instant: Instant
  try {
    instant = parseWireInstant(text)
  } catch {
    throw ValidationProblem.at(
      path,
      'must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T14:00:00Z',
    )
  }
  if (!isSupportedInstant(instant)) throw UnprocessableProblem.at(path, `must be ${SUPPORTED_RANGE_TEXT}`)
  return instant
}

/**
 * A fixed event of `durationMinutes` from `start`, with the calendar's buffer on both sides, must lie in the
 * supported range of instants; else a 422 at `path`.
 */
export function checkSpan(
  path: string,
  start: Instant,
  durationMinutes: number,
  settings: Pick<CalendarSettings, 'bufferMinutes'>,
): void {
  if (isSupportedSpan(start, durationMinutes, settings.bufferMinutes)) return
  throw UnprocessableProblem.at(
    path,
    `the event (${durationMinutes} min, with the calendar's ${settings.bufferMinutes}-minute buffer on both sides) must lie ${SUPPORTED_RANGE_TEXT}`,
  )
}

/** The one way a request says when, or undefined when it says nothing; two ways at once are a 400. */
export function placementOf(body: WhenFields): PlacementRequest | undefined {
  const given = [
    body.start !== undefined ? 'start' : null,
    body.date !== undefined ? 'date' : null,
    body.notBefore !== undefined || body.notAfter !== undefined ? 'notBefore/notAfter' : null,
  ].filter((mode): mode is string => mode !== null)
  if (given.length > 1) {
    throw new ValidationProblem(
      `Give at most one of start, date, or notBefore/notAfter (got ${given.join(' and ')})`,
      given.map((mode) => ({
        path: `/body/${mode === 'notBefore/notAfter' ? (body.notBefore !== undefined ? 'notBefore' : 'notAfter') : mode}`,
        message: 'conflicts with another way of saying when',
      })),
    )
  }
  if (body.start !== undefined) return { placement: 'fixed', start: instantAt('/body/start', body.start) }
  if (body.date !== undefined) return { placement: 'auto', window: { kind: 'date', date: body.date } }
  if (body.notBefore !== undefined || body.notAfter !== undefined) {
    return {
      placement: 'auto',
      window: {
        kind: 'range',
        notBefore: body.notBefore === undefined ? null : instantAt('/body/notBefore', body.notBefore),
        notAfter: body.notAfter === undefined ? null : instantAt('/body/notAfter', body.notAfter),
      },
    }
  }
  return undefined
}

/** Attendees with lower-cased emails; the same email twice (in any case) is a 400. */
export function attendeesOf(attendees: NonNullable<EventCreateRequest['attendees']>): Attendee[] {
  const seen = new Map<string, number>()
  return attendees.map((attendee, i) => {
    const email = attendee.email.toLowerCase()
    const first = seen.get(email)
    if (first !== undefined) {
      throw ValidationProblem.at(
        `/body/attendees/${i}/email`,
        `duplicates attendee ${first} (emails are case-insensitive)`,
      )
    }
    seen.set(email, i)
    return {
      email,
      ...(attendee.name === undefined ? {} : { name: attendee.name }),
      required: attendee.required ?? true,
    }
  })
}

export function createInputOf(body: EventCreateRequest): CreateInput {
  return {
    title: body.title,
    description: body.description ?? null,
    location: body.location ?? null,
    attendees: attendeesOf(body.attendees ?? []),
    durationMinutes: body.durationMinutes,
    when: placementOf(body) ?? { placement: 'auto', window: null },
  }
}

export function patchInputOf(body: EventPatchRequest): PatchInput {
  const changes: PatchInput['changes'] = {}
  if (body.title !== undefined) changes.title = body.title
  if (body.description !== undefined) changes.description = body.description
  if (body.location !== undefined) changes.location = body.location
  if (body.attendees !== undefined) changes.attendees = attendeesOf(body.attendees)
  if (body.durationMinutes !== undefined) changes.durationMinutes = body.durationMinutes
  const when = placementOf(body)
  if (when) changes.when = when
  return body.status === undefined ? { changes } : { changes, status: body.status }
}

/**
 * The checks that need the clock and the calendar (422): a fixed start in the past, a date before today in
 * the calendar's zone, a window that ends before it starts or in the past; and the supported range of
 * instants: a fixed event of `durationMinutes` with the calendar's buffer, or the calendar-local `date`, must
 * lie in it.
 */
export async function checkWhen(
  when: PlacementRequest | undefined,
  now: Instant,
  settings: () => Promise<Pick<CalendarSettings, 'timezone' | 'bufferMinutes'>>,
  durationMinutes: number,
): Promise<void> {
  if (!when) return
  if (when.placement === 'fixed') {
    if (when.start < now) throw UnprocessableProblem.at('/body/start', 'is in the past')
    // The calendar is read only near the ends of the range, where its buffer can matter
    if (!isSupportedSpan(when.start, durationMinutes, LARGEST_BUFFER_MINUTES)) {
      checkSpan('/body/start', when.start, durationMinutes, await settings())
    }
    return
  }
  const window = when.window
  if (window === null) return
  if (window.kind === 'range') {
    const { notBefore, notAfter } = window
    if (notAfter !== null && notBefore !== null && notAfter <= notBefore) {
      throw UnprocessableProblem.at('/body/notAfter', 'must be after notBefore')
    }
    if (notAfter !== null && notAfter <= now)
      throw UnprocessableProblem.at('/body/notAfter', 'is in the past')
    return
  }
  // The calendar is read only for a date: its time zone says which day is today
  const calendar = await settings()
  const today = localDate(calendar, now)
  if (window.date < today) {
    throw UnprocessableProblem.at(
      '/body/date',
      `is before today (${today}) in the calendar's time zone ${calendar.timezone}`,
    )
  }
  const day = localDayRange(calendar, window.date)
  if (!isSupportedInstant(day.start) || !isSupportedInstant(day.end)) {
    throw UnprocessableProblem.at(
      '/body/date',
      `the day in the calendar's time zone ${calendar.timezone} must lie ${SUPPORTED_RANGE_TEXT}`,
    )
  }
}
