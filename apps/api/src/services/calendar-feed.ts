import type { CalendarSettings, EventRecord, EventStatus, Instant } from '@scheduler/core'
import type { Store } from '@scheduler/store'
import ical, { ICalAttendeeRole, ICalCalendarMethod, ICalEventStatus } from 'ical-generator'

const DAY_MS = 24 * 60 * 60 * 1000
/** How far back the feed reaches (the contract's "last 30 days"). */
export const FEED_PAST_DAYS = 30
/** Statuses the feed shows; cancelled events are shown as `STATUS:CANCELLED` so subscribers drop them. */
export const FEED_STATUSES: EventStatus[] = ['scheduled', 'in_progress', 'completed', 'cancelled']
/** How often calendar apps are asked to refresh (`REFRESH-INTERVAL`, `X-PUBLISHED-TTL`). */
const REFRESH_SECONDS = 15 * 60
const PAGE_SIZE = 500
const UID_DOMAIN = 'scheduler-api'

/** The iCalendar `UID` of an event: stable across reschedules, since the event id never changes. */
export function feedUidOf(eventId: string): string {
  return `${eventId}@${UID_DOMAIN}`
}

/**
 * The events the feed shows at `now`: every placed event whose time overlaps
 * [now − 30 days, now + horizonDays), in the feed's statuses, by start; read page by page.
 */
export async function feedEvents(
  store: Pick<Store, 'listEvents'>,
  calendar: CalendarSettings,
  now: Instant,
): Promise<EventRecord[]> {
  const events: EventRecord[] = []
  let cursor: string | undefined
  do {
    const page = await store.listEvents(calendar.id, {
      from: now - FEED_PAST_DAYS * DAY_MS,
      to: now + calendar.horizonDays * DAY_MS,
      statuses: FEED_STATUSES,
      limit: PAGE_SIZE,
      order: 'start',
      now,
      ...(cursor === undefined ? {} : { cursor }),
    })
    events.push(...page.items)
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined)
  return events
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
