import type { CalendarSettings, EventRecord, EventStatus, Instant } from '@scheduler/core'
import type { Store } from '@scheduler/store'

const DAY_MS = 24 * 60 * 60 * 1000
/** How far back the feed reaches (the contract's "last 30 days"). */
export const FEED_PAST_DAYS = 30
/** Statuses the feed shows; cancelled events are shown as `STATUS:CANCELLED` so subscribers drop them. */
export const FEED_STATUSES: EventStatus[] = ['scheduled', 'in_progress', 'completed', 'cancelled']
const PAGE_SIZE = 500

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
