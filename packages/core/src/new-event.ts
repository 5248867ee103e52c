import type { Attendee, EventRecord, Instant, PlacementRequest } from './types.js'

/** What a client says about a new event. */
export interface NewEventRequest {
  title: string
  description: string | null
  location: string | null
  attendees: Attendee[]
  durationMinutes: number
  when: PlacementRequest
}

/**
 * A new event as accepted: pending, unplaced, version 1; the worker places it. Built field by field, in
 * `EventRecord`'s order: it runs once per accepted create, and spreading the request into a literal was a
 * slow generic copy (and would carry along any field the request had beyond `NewEventRequest`).
 */
export function pendingEvent(
  request: NewEventRequest,
  ids: { id: string; calendarId: string },
  now: Instant,
): EventRecord {
  const { when } = request
  return {
    id: ids.id,
    calendarId: ids.calendarId,
    title: request.title,
    description: request.description,
    location: request.location,
    attendees: request.attendees,
    durationMinutes: request.durationMinutes,
    placement: when.placement,
    window: when.placement === 'auto' ? when.window : null,
    requestedStart: when.placement === 'fixed' ? when.start : null,
    start: null,
    end: null,
    status: 'pending',
    failure: null,
    attendeeConflicts: [],
    outsideWorkingHours: false,
    version: 1,
    sequence: 0,
    createdAt: now,
    updatedAt: now,
  }
}
