import {
  type PreviewResource,
  toFailureResource,
  toIntervalResource,
  toWireInstant,
} from '@scheduler/contract'
import {
  CALENDAR_ID_DEFAULT,
  type Instant,
  pendingEvent,
  planningRange,
  planPlacement,
  requiredEmails,
} from '@scheduler/core'
import { busyTimesByEmail, type Store } from '@scheduler/store'
import { type CreateInput, checkWhen } from './event-requests.js'

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
    async preview(input: CreateInput): Promise<PreviewResource> {
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
      const plan = planPlacement({ settings, now, event, occupying, busy })
      const { result } = plan
      return {
        start: result.status === 'scheduled' ? toWireInstant(result.slot.start) : null,
        end: result.status === 'scheduled' ? toWireInstant(result.slot.end) : null,
        failure: result.status === 'failed' ? toFailureResource(result.failure) : null,
        displaced: plan.displaced.map((displacement) => ({
          eventId: displacement.eventId,
          from: toIntervalResource(displacement.from),
          to: displacement.to === null ? null : toIntervalResource(displacement.to),
        })),
      }
    },
  }
}

export type EventPreview = ReturnType<typeof makeEventPreview>
