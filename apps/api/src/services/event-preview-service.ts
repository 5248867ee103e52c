import {
  CALENDAR_ID_DEFAULT,
  type Instant,
  type PlanOutput,
  pendingEvent,
  planningRange,
  planPlacement,
  requiredEmails,
} from '@scheduler/core'
import { busyTimesByEmail, type Store } from '@scheduler/store'
import { type CreateInput, checkWhen } from './event-rules.js'

export interface EventPreviewDeps {
  store: Pick<Store, 'getCalendar' | 'occupying' | 'busyOverlapping'>
  clock: () => Instant
}

const calendarId = CALENDAR_ID_DEFAULT

/**
 * Where an event would be placed now, and what it would move, without writing anything: the same inputs
 * and the same planner (`planPlacement`) as the worker, read from the store as it is at this moment.
 */
export function makeEventPreview(deps: EventPreviewDeps) {
  const { store } = deps
  return {
    /** The plan for `input` (its `result` and `displaced`); `InvalidInputError` as for a create. */
    async preview(input: CreateInput): Promise<PlanOutput> {
      const now = deps.clock()
      const settings = await store.getCalendar(calendarId)
      if (!settings) throw new Error(`Calendar ${calendarId} is missing`)
      await checkWhen(input.when, now, async () => settings, input.durationMinutes)
      const event = pendingEvent(input, { id: 'evt_preview', calendarId }, now)
      const range = planningRange(settings, now, event)
      const occupying = await store.occupying(calendarId, range)
      // Busy times of every required attendee the plan can look at: the new event's, and (for a fixed event
      // that displaces auto events) those of the events it may move
      const emails = new Set(requiredEmails(event.attendees))
      for (const other of occupying) for (const email of requiredEmails(other.attendees)) emails.add(email)
      const busy = await busyTimesByEmail(store, calendarId, emails, range)
      return planPlacement({ settings, now, event, occupying, busy })
    },
  }
}

export type EventPreview = ReturnType<typeof makeEventPreview>
