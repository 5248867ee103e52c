import type { CalendarSettings, EventRecord } from '@scheduler/core'
import ical, { ICalAttendeeRole, ICalCalendarMethod, ICalEventStatus } from 'ical-generator'

/** How often calendar apps are asked to refresh (`REFRESH-INTERVAL`, `X-PUBLISHED-TTL`). */
const REFRESH_SECONDS = 15 * 60
const UID_DOMAIN = 'scheduler-api'

/** The iCalendar `UID` of an event: stable across reschedules, since the event id never changes. */
export function feedUidOf(eventId: string): string {
  return `${eventId}@${UID_DOMAIN}`
}

/**
 * The calendar as an RFC 5545 `VCALENDAR` (text, CRLF lines). Times are UTC (`…Z`), so no `VTIMEZONE` is
 * needed; the calendar's zone is named in `X-WR-TIMEZONE` for apps that show it. Per event: `UID`
 * (`<eventId>@scheduler-api`), `SEQUENCE` (the event's sequence, bumped by every change the worker makes),
 * `DTSTAMP` and `LAST-MODIFIED` (its last update), `CREATED`, `SUMMARY`, `DESCRIPTION`, `LOCATION`,
 * `STATUS` (`CONFIRMED`, or `CANCELLED`) and an `ATTENDEE` per attendee (`mailto:`, `ROLE=REQ-PARTICIPANT`
 * or `OPT-PARTICIPANT`).
 */
export function calendarFeedText(calendar: CalendarSettings, events: EventRecord[]): string {
  const feed = ical({
    prodId: { company: 'scheduler-api', product: 'calendar feed', language: 'EN' },
    name: `Calendar ${calendar.id}`,
    method: ICalCalendarMethod.PUBLISH,
    ttl: REFRESH_SECONDS,
    x: { 'X-WR-TIMEZONE': calendar.timezone },
  })
  for (const event of events) {
    if (event.start === null || event.end === null) continue
    feed.createEvent({
      id: feedUidOf(event.id),
      sequence: event.sequence,
      stamp: new Date(event.updatedAt),
      lastModified: new Date(event.updatedAt),
      created: new Date(event.createdAt),
      start: new Date(event.start),
      end: new Date(event.end),
      summary: event.title,
      description: event.description,
      location: event.location,
      status: event.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      attendees: event.attendees.map((attendee) => ({
        email: attendee.email,
        ...(attendee.name ? { name: attendee.name } : {}),
        role: attendee.required ? ICalAttendeeRole.REQ : ICalAttendeeRole.OPT,
      })),
    })
  }
  return feed.toString()
}
