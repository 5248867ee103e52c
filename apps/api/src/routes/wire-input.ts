import type { EventCreateRequest, EventPatchRequest } from '@scheduler/contract'
import { parseWireInstant } from '@scheduler/contract'
import {
  type Attendee,
  type Instant,
  type Interval,
  isSupportedInstant,
  type PlacementRequest,
  SUPPORTED_RANGE_TEXT,
} from '@scheduler/core'
import { UnprocessableProblem, ValidationProblem } from '../errors.js'
import type { CreateInput, PatchInput } from '../services/event-rules.js'

/**
 * Wire → domain: what the routes read from requests that passed their schema. A value the schema cannot
 * refuse but the domain cannot take (a leap second, two ways of saying when) is a 400; an instant outside
 * the supported range a 422.
 */

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

/** `[from, to)` of a query; `to` not after `from` is a 422. */
export function queryRange(from: string, to: string): Interval {
  const range = { start: instantAt('/query/from', from), end: instantAt('/query/to', to) }
  if (range.end <= range.start) throw UnprocessableProblem.at('/query/to', 'must be after from')
  return range
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
