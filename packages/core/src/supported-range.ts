import { MINUTE_MS } from './calendar-policy.js'
import type { Instant, Interval } from './types.js'

/**
 * The instants the service supports: from 1970-01-01T00:00:00Z up to and including 9999-12-31T00:00:00Z.
 *
 * Why these bounds: answers are RFC 3339 date-times, whose years have four digits (RFC 3339 §5.6), and
 * PostgreSQL refuses the six-digit years that `Date.prototype.toISOString` writes from year 10000 on (the
 * "time zone displacement out of range" of issue 7), so nothing the service stores, looks up or answers may
 * reach year 10000; the upper bound keeps a day's margin below it. The lower bound is the Unix epoch:
 * scheduling looks forward, and no stored instant is negative.
 *
 * The API refuses (422, naming the field) any instant outside the range, and any event whose time with the
 * calendar's buffer on both sides, `[start − buffer, end + buffer]`, or whose calendar-local `date`, would
 * leave it.
 */
export const SUPPORTED_RANGE: Interval = {
  start: Date.UTC(1970, 0, 1),
  end: Date.UTC(9999, 11, 31),
}

/** The supported range in the words the API answers with (also in the OpenAPI document and README). */
export const SUPPORTED_RANGE_TEXT = 'between 1970-01-01T00:00:00Z and 9999-12-31T00:00:00Z'

/** True when `instant` lies in the supported range (both bounds included). */
export function isSupportedInstant(instant: Instant): boolean {
  return instant >= SUPPORTED_RANGE.start && instant <= SUPPORTED_RANGE.end
}

/**
 * True when an event of `durationMinutes` starting at `start`, with `bufferMinutes` kept on both sides, lies
 * wholly in the supported range.
 */
export function isSupportedSpan(start: Instant, durationMinutes: number, bufferMinutes: number): boolean {
  const buffer = bufferMinutes * MINUTE_MS
  return (
    isSupportedInstant(start - buffer) && isSupportedInstant(start + durationMinutes * MINUTE_MS + buffer)
  )
}

/**
 * `range` cut to the supported range, for look-ups in the store: nothing is stored outside it, and a look-up
 * past it could not even be written down (see `SUPPORTED_RANGE`). An empty range stays empty (end ≤ start).
 */
export function clampToSupportedRange(range: Interval): Interval {
  return {
    start: Math.min(Math.max(range.start, SUPPORTED_RANGE.start), SUPPORTED_RANGE.end),
    end: Math.max(Math.min(range.end, SUPPORTED_RANGE.end), SUPPORTED_RANGE.start),
  }
}
