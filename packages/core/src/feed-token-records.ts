import type { Instant } from './types.js'

/**
 * A read-only subscription token of a calendar's ICS feed (`GET /v1/calendar.ics?token=…`). Only the
 * token's SHA-256 is stored; the token itself is shown once, when it is created.
 */
export interface FeedTokenRecord {
  /** `ftk_…` */
  id: string
  calendarId: string
  label: string | null
  /** SHA-256 of the token, lower-case hex (64 characters): the lookup key, unique across calendars. */
  tokenHash: string
  createdAt: Instant
}
