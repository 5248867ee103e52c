import {
  attendeeBusyIntervals,
  CALENDAR_ID_DEFAULT,
  createIntervalIndex,
  feasibleSlots,
  type Instant,
  type Interval,
  MINUTE_MS,
  planningRange,
} from '@scheduler/core'
import type { Store } from '@scheduler/store'

export interface AvailabilityDeps {
  store: Pick<Store, 'getCalendar' | 'occupying' | 'busyOverlapping'>
  clock: () => Instant
}

/** A question for free slots: `range` is [from, to) with `to` after `from`; emails lower-cased. */
export interface AvailabilityQuery {
  range: Interval
  durationMinutes: number
  attendees: Set<string>
  limit: number
}

const calendarId = CALENDAR_ID_DEFAULT

/**
 * Availability: the slots auto placement would consider for an event of a given duration whose listed
 * attendees are all required, computed the way the placement worker computes them.
 */
export function makeAvailability(deps: AvailabilityDeps) {
  const { store } = deps
  return {
    /** The feasible slots in `query.range`, earliest first, at most `query.limit`. */
    async slots(query: AvailabilityQuery): Promise<Interval[]> {
      const { range: asked, attendees: emails, durationMinutes } = query
      const now = deps.clock()
      const settings = await store.getCalendar(calendarId)
      if (!settings) throw new Error(`Calendar ${calendarId} is missing`)
      // Only what lies within the buffer of [from, to) can block a slot there: load the planning range's
      // part of it, never the whole horizon for a narrow question
      const buffer = settings.bufferMinutes * MINUTE_MS
      const planning = planningRange(settings, now, { durationMinutes, requestedStart: null })
      const range = {
        start: Math.max(planning.start, asked.start - buffer),
        end: Math.min(planning.end, asked.end + buffer),
      }
      if (range.end <= range.start) return []

      const occupying = await store.occupying(calendarId, range)
      const occupied: Interval[] = []
      for (const event of occupying) {
        if (event.start !== null && event.end !== null) occupied.push({ start: event.start, end: event.end })
      }
      const registered = emails.size === 0 ? [] : await store.busyOverlapping(calendarId, [...emails], range)
      // Registered busy times are already loaded for all listed attendees at once: the helper adds the
      // occupying events they attend, as the planner does
      const busy = [...registered, ...attendeeBusyIntervals(emails, new Map(), occupying)]

      return feasibleSlots(
        {
          settings,
          now,
          durationMinutes,
          window: { kind: 'range', notBefore: asked.start, notAfter: asked.end },
          occupied: createIntervalIndex(occupied),
          busy: createIntervalIndex(busy),
        },
        query.limit,
      )
    },
  }
}

export type Availability = ReturnType<typeof makeAvailability>
