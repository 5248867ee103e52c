import type { Instant, Interval } from '@scheduler/core'
import type { IntervalResource } from './common-schemas.js'

/** An instant as the service answers it: RFC 3339 in UTC with milliseconds. */
export function toWireInstant(instant: Instant): string {
  return new Date(instant).toISOString()
}

/** `toWireInstant`, passing null through. */
export function toWireInstantOrNull(instant: Instant | null): string | null {
  return instant === null ? null : toWireInstant(instant)
}

/**
 * The instant of an RFC 3339 date-time that already passed schema validation (offset required).
 * Throws a RangeError for text that is not a date-time.
 */
export function parseWireInstant(text: string): Instant {
  // RFC 3339 allows lower-case `t` and `z`; Date.parse wants them upper-case
  const instant = Date.parse(text.toUpperCase())
  if (!Number.isFinite(instant)) throw new RangeError(`"${text}" is not an RFC 3339 date-time`)
  return instant
}

export function toIntervalResource(interval: Interval): IntervalResource {
  return { start: toWireInstant(interval.start), end: toWireInstant(interval.end) }
}

export function parseIntervalResource(resource: IntervalResource): Interval {
  return { start: parseWireInstant(resource.start), end: parseWireInstant(resource.end) }
}
