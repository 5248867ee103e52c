import { DateTime } from 'luxon'

/**
 * Calendar-local dates relative to today, for tests that must not depend on the day they run:
 * the `n`-th weekday (Mon–Fri) strictly after tomorrow, in `zone`.
 */
export function upcomingWeekday(zone: string, n = 0): DateTime {
  let day = DateTime.now().setZone(zone).startOf('day').plus({ days: 2 })
  let seen = -1
  for (;;) {
    if (day.weekday <= 5) seen += 1
    if (seen === n) return day
    day = day.plus({ days: 1 })
  }
}

/** The instant of a local wall-clock time on `day`, as the API answers it (UTC, milliseconds). */
export function at(day: DateTime, time: string): string {
  const [hour, minute] = time.split(':').map(Number)
  return day.set({ hour, minute, second: 0, millisecond: 0 }).toUTC().toISO() ?? ''
}
