import {
  type CalendarSettings,
  type EventChanges,
  type EventStatus,
  type Instant,
  isSupportedInstant,
  isSupportedSpan,
  localDate,
  localDayRange,
  type NewEventRequest,
  type PlacementRequest,
  SUPPORTED_RANGE_TEXT,
} from '@scheduler/core'
import { InvalidInputError } from './domain-errors.js'

/** A create request in domain terms. */
export type CreateInput = NewEventRequest

/** A change in domain terms; `status` is what was asked for, before it is checked. */
export interface PatchInput {
  changes: Omit<EventChanges, 'status'>
  status?: EventStatus
}

// The largest `bufferMinutes` a calendar may have (core's `validateCalendarSettings`)
const LARGEST_BUFFER_MINUTES = 1440

/**
 * A fixed event of `durationMinutes` from `start`, with the calendar's buffer on both sides, must lie in the
 * supported range of instants; else `InvalidInputError` at `field`.
 */
export function checkSpan(
  field: string,
  start: Instant,
  durationMinutes: number,
  settings: Pick<CalendarSettings, 'bufferMinutes'>,
): void {
  if (isSupportedSpan(start, durationMinutes, settings.bufferMinutes)) return
  throw InvalidInputError.at(
    field,
    `the event (${durationMinutes} min, with the calendar's ${settings.bufferMinutes}-minute buffer on both sides) must lie ${SUPPORTED_RANGE_TEXT}`,
  )
}

/**
 * The checks of when an event goes that need the clock and the calendar (`InvalidInputError` at `/start`,
 * `/notAfter` or `/date`): a fixed start in the past, a date before today in the calendar's zone, a window
 * that ends before it starts or in the past; and the supported range of instants: a fixed event of
 * `durationMinutes` with the calendar's buffer, or the calendar-local `date`, must lie in it.
 */
export async function checkWhen(
  when: PlacementRequest | undefined,
  now: Instant,
  settings: () => Promise<Pick<CalendarSettings, 'timezone' | 'bufferMinutes'>>,
  durationMinutes: number,
): Promise<void> {
  if (!when) return
  if (when.placement === 'fixed') {
    if (when.start < now) throw InvalidInputError.at('/start', 'is in the past')
    // The calendar is read only near the ends of the range, where its buffer can matter
    if (!isSupportedSpan(when.start, durationMinutes, LARGEST_BUFFER_MINUTES)) {
      checkSpan('/start', when.start, durationMinutes, await settings())
    }
    return
  }
  const window = when.window
  if (window === null) return
  if (window.kind === 'range') {
    const { notBefore, notAfter } = window
    if (notAfter !== null && notBefore !== null && notAfter <= notBefore) {
      throw InvalidInputError.at('/notAfter', 'must be after notBefore')
    }
    if (notAfter !== null && notAfter <= now) throw InvalidInputError.at('/notAfter', 'is in the past')
    return
  }
  // The calendar is read only for a date: its time zone says which day is today
  const calendar = await settings()
  const today = localDate(calendar, now)
  if (window.date < today) {
    throw InvalidInputError.at(
      '/date',
      `is before today (${today}) in the calendar's time zone ${calendar.timezone}`,
    )
  }
  const day = localDayRange(calendar, window.date)
  if (!isSupportedInstant(day.start) || !isSupportedInstant(day.end)) {
    throw InvalidInputError.at(
      '/date',
      `the day in the calendar's time zone ${calendar.timezone} must lie ${SUPPORTED_RANGE_TEXT}`,
    )
  }
}
