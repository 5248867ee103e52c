import { IANAZone } from 'luxon'
import {
  type CalendarSettings,
  type Instant,
  type Interval,
  type LocalTimeRange,
  WEEKDAYS,
  type Weekday,
} from './types.js'

export const MINUTE_MS = 60_000
export const DAY_MS = 86_400_000

/*
 * Local wall-clock arithmetic is done on "local epoch milliseconds" (the instant plus the zone's offset at
 * that instant), so a local day is always [k·DAY_MS, (k+1)·DAY_MS) in that scale. Luxon's IANAZone supplies
 * the offsets; its DateTime is not used to turn local times into instants because for ambiguous local
 * times it answers according to the *current* date's offset, which would make placements depend on the
 * season the worker runs in.
 */

// Validating a zone name builds an Intl formatter, so known zones are remembered.
const zones = new Map<string, IANAZone>()

/** The calendar's zone; throws when the name is not a valid IANA time zone. */
export function calendarZone(timezone: string): IANAZone {
  let zone = zones.get(timezone)
  if (!zone) {
    if (!IANAZone.isValidZone(timezone)) throw new Error(`Unknown IANA time zone "${timezone}"`)
    zone = IANAZone.create(timezone)
    zones.set(timezone, zone)
  }
  return zone
}

function offsetMs(zone: IANAZone, instant: Instant): number {
  return Math.round(zone.offset(instant) * MINUTE_MS)
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n
}

/** The local epoch milliseconds of an instant (wall clock read as if it were UTC). */
function toLocalMs(zone: IANAZone, instant: Instant): number {
  return instant + offsetMs(zone, instant)
}

/**
 * The instant of a local wall-clock time, given as local epoch milliseconds.
 * - Nonexistent times (spring-forward gap) are read with the offset in force before the gap, i.e. shifted
 *   forward by the gap's length (02:30 on 2026-03-08 in New York → 03:30 EDT), as Luxon and RFC 5545 do.
 * - Ambiguous times (fall-back overlap) take the earlier instant, the first occurrence (01:30 on 2026-11-01
 *   in New York → 01:30 EDT), as RFC 5545 and Temporal's "compatible" disambiguation do.
 * Offsets are assumed to change at most once within a day around the time, true of every real zone.
 */
function localToInstant(zone: IANAZone, localMs: number): Instant {
  const before = offsetMs(zone, localMs - DAY_MS)
  const after = offsetMs(zone, localMs + DAY_MS)
  const early = localMs - before
  const late = localMs - after
  const earlyValid = offsetMs(zone, early) === before
  const lateValid = before !== after && offsetMs(zone, late) === after
  if (earlyValid && lateValid) return Math.min(early, late)
  if (earlyValid) return early
  if (lateValid) return late
  return early
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/

/** Days since 1970-01-01 of a `YYYY-MM-DD` calendar date; throws when it is not a real date. */
function epochDay(date: string): number {
  const match = DATE_PATTERN.exec(date)
  if (!match) throw new Error(`Invalid date "${date}" (expected YYYY-MM-DD)`)
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const ms = Date.UTC(year, month - 1, day)
  const check = new Date(ms)
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new Error(`Invalid date "${date}"`)
  }
  return ms / DAY_MS
}

function weekdayOf(epochDayNumber: number): Weekday {
  // 1970-01-01 was a Thursday (index 3 with Monday first).
  return WEEKDAYS[mod(epochDayNumber + 3, 7)] as Weekday
}

/** The calendar-local date (`YYYY-MM-DD`) of an instant. */
export function localDate(settings: Pick<CalendarSettings, 'timezone'>, instant: Instant): string {
  const zone = calendarZone(settings.timezone)
  const day = Math.floor(toLocalMs(zone, instant) / DAY_MS)
  return new Date(day * DAY_MS).toISOString().slice(0, 10)
}

const TIME_PATTERN = /^(\d{2}):(\d{2})$/

/**
 * Minutes after local midnight of an `HH:MM` time (00:00–23:59; `24:00` too when `asEnd`), or null when
 * the text is not such a time.
 */
export function parseLocalTime(text: string, asEnd = false): number | null {
  const match = TIME_PATTERN.exec(text)
  if (!match) return null
  const hours = Number(match[1])
  const minutes = Number(match[2])
  if (hours === 24 && minutes === 0 && asEnd) return 1440
  if (hours > 23 || minutes > 59) return null
  return hours * 60 + minutes
}

function rangeMinutes(range: LocalTimeRange): [number, number] {
  const start = parseLocalTime(range.start)
  const end = parseLocalTime(range.end, true)
  if (start === null || end === null || end <= start) {
    throw new Error(`Invalid working-hours range ${range.start}-${range.end}`)
  }
  return [start, end]
}

function emptyWeek(): Record<Weekday, LocalTimeRange[]> {
  return { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] }
}

/**
 * Parses a working-hours spec such as `mon-fri 09:00-17:00` or
 * `mon-thu 09:00-12:00,13:00-17:00; fri 09:00-13:00`: groups separated by `;`, each a day list (days and
 * day ranges separated by `,`; a range may wrap, `sun-sat` is every day) and a `,`-separated list of
 * `HH:MM-HH:MM` ranges (`24:00` allowed as an end, `9:00` read as `09:00`). Days not listed have no
 * working hours. Throws an Error naming the problem.
 */
export function parseWorkingHoursSpec(spec: string): Record<Weekday, LocalTimeRange[]> {
  const fail = (problem: string): never => {
    throw new Error(`Invalid working hours "${spec}": ${problem}`)
  }
  const week = emptyWeek()
  const seen = new Set<Weekday>()
  const groups = spec
    .split(';')
    .map((group) => group.trim().replace(/\s*([-,])\s*/g, '$1'))
    .filter((group) => group !== '')
  if (groups.length === 0) fail('it is empty (expected e.g. "mon-fri 09:00-17:00")')

  for (const group of groups) {
    const parts = group.split(/\s+/)
    if (parts.length !== 2) fail(`"${group}" is not "<days> <HH:MM-HH:MM>[,<HH:MM-HH:MM>…]"`)
    const [daysText, rangesText] = parts as [string, string]

    const days: Weekday[] = []
    for (const item of daysText.toLowerCase().split(',')) {
      const bounds = item.split('-')
      const indexes = bounds.map((name) => {
        const index = WEEKDAYS.indexOf(name as Weekday)
        if (index < 0) fail(`unknown day "${name}" (use ${WEEKDAYS.join(', ')})`)
        return index
      })
      if (indexes.length === 1) days.push(WEEKDAYS[indexes[0] as number] as Weekday)
      else if (indexes.length === 2) {
        const [from, to] = indexes as [number, number]
        for (let i = 0; i <= mod(to - from, 7); i++) days.push(WEEKDAYS[(from + i) % 7] as Weekday)
      } else fail(`"${item}" is not a day or a day range`)
    }

    const ranges: LocalTimeRange[] = []
    for (const item of rangesText.split(',')) {
      const match = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(item)
      if (!match) fail(`"${item}" is not a time range HH:MM-HH:MM`)
      const [, startHours, startMinutes, endHours, endMinutes] = match as RegExpExecArray
      const start = `${startHours?.padStart(2, '0')}:${startMinutes}`
      const end = `${endHours?.padStart(2, '0')}:${endMinutes}`
      const startMinute = parseLocalTime(start)
      const endMinute = parseLocalTime(end, true)
      if (startMinute === null) fail(`"${start}" is not a start time (00:00–23:59)`)
      if (endMinute === null) fail(`"${end}" is not an end time (00:00–24:00)`)
      if ((endMinute as number) <= (startMinute as number))
        fail(`range ${start}-${end} does not end after it starts`)
      ranges.push({ start, end })
    }
    ranges.sort((a, b) => (parseLocalTime(a.start) ?? 0) - (parseLocalTime(b.start) ?? 0))
    for (let i = 1; i < ranges.length; i++) {
      const previous = ranges[i - 1] as LocalTimeRange
      const current = ranges[i] as LocalTimeRange
      if ((parseLocalTime(previous.end, true) ?? 0) > (parseLocalTime(current.start) ?? 0)) {
        fail(`ranges ${previous.start}-${previous.end} and ${current.start}-${current.end} overlap`)
      }
    }

    for (const day of days) {
      if (seen.has(day)) fail(`${day} is listed more than once`)
      seen.add(day)
      week[day] = ranges.map((range) => ({ ...range }))
    }
  }
  return week
}

function isInteger(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

/**
 * Every problem with calendar settings, as `path: message` strings; empty when the settings are valid.
 * Checks: a valid IANA zone, `HH:MM` times with end after start (`24:00` allowed as an end), each day's
 * ranges sorted and non-overlapping, slotMinutes 1–1440, bufferMinutes and minNoticeMinutes ≥ 0,
 * horizonDays 1–3650 (all integers), blackouts with end after start.
 */
export function validateCalendarSettings(s: CalendarSettings): string[] {
  const problems: string[] = []
  if (typeof s.id !== 'string' || s.id === '') problems.push('id: must be a non-empty string')
  if (typeof s.timezone !== 'string' || !IANAZone.isValidZone(s.timezone)) {
    problems.push(`timezone: "${String(s.timezone)}" is not a valid IANA time zone`)
  }
  if (typeof s.workingHours !== 'object' || s.workingHours === null) {
    problems.push('workingHours: must list the ranges of every weekday')
  } else {
    for (const day of WEEKDAYS) {
      const ranges = s.workingHours[day]
      if (!Array.isArray(ranges)) {
        problems.push(`workingHours.${day}: must be a list of ranges`)
        continue
      }
      let previousEnd = -1
      ranges.forEach((range, i) => {
        const path = `workingHours.${day}[${i}]`
        const start = parseLocalTime(range?.start)
        const end = parseLocalTime(range?.end, true)
        if (start === null)
          problems.push(`${path}.start: "${range?.start}" is not a time HH:MM (00:00–23:59)`)
        if (end === null) problems.push(`${path}.end: "${range?.end}" is not a time HH:MM (00:00–24:00)`)
        if (start === null || end === null) return
        if (end <= start) problems.push(`${path}: ${range.start}-${range.end} does not end after it starts`)
        else if (start < previousEnd) {
          problems.push(`${path}: ${range.start}-${range.end} overlaps or precedes the range before it`)
        }
        previousEnd = Math.max(previousEnd, end)
      })
    }
  }
  if (!isInteger(s.slotMinutes, 1, 1440)) problems.push('slotMinutes: must be an integer from 1 to 1440')
  if (!isInteger(s.bufferMinutes, 0, 1440)) problems.push('bufferMinutes: must be an integer from 0 to 1440')
  if (!isInteger(s.minNoticeMinutes, 0, 3650 * 1440)) {
    problems.push('minNoticeMinutes: must be a non-negative integer')
  }
  if (!isInteger(s.horizonDays, 1, 3650)) problems.push('horizonDays: must be an integer from 1 to 3650')
  if (!Array.isArray(s.blackouts)) problems.push('blackouts: must be a list')
  else {
    s.blackouts.forEach((blackout, i) => {
      const valid = Number.isFinite(blackout?.start) && Number.isFinite(blackout?.end)
      if (!valid) problems.push(`blackouts[${i}]: start and end must be instants`)
      else if (blackout.end <= blackout.start) problems.push(`blackouts[${i}]: end must be after start`)
    })
  }
  return problems
}

/**
 * Lazily yields the working-hours intervals (UTC instants) that overlap `range`, in order. Each day's
 * ranges are resolved in the calendar's zone (see `localToInstant` for gaps and overlaps); an interval
 * that a DST gap would make overlap the one before it starts at that one's end instead, and one that
 * becomes empty is dropped, so the intervals are disjoint. Touching ranges stay separate intervals.
 */
export function* iterateWorkingIntervals(settings: CalendarSettings, range: Interval): Generator<Interval> {
  if (!Number.isFinite(range.start) || !Number.isFinite(range.end)) {
    throw new RangeError('Working intervals need a finite range')
  }
  if (range.end <= range.start) return
  const zone = calendarZone(settings.timezone)
  const firstDay = Math.floor(toLocalMs(zone, range.start) / DAY_MS) - 1
  const lastDay = Math.floor(toLocalMs(zone, range.end) / DAY_MS) + 1
  const week = new Map(WEEKDAYS.map((day) => [day, settings.workingHours[day].map(rangeMinutes)]))
  let previousEnd = Number.NEGATIVE_INFINITY
  for (let day = firstDay; day <= lastDay; day++) {
    for (const [startMinute, endMinute] of week.get(weekdayOf(day)) ?? []) {
      let start = localToInstant(zone, day * DAY_MS + startMinute * MINUTE_MS)
      const end = localToInstant(zone, day * DAY_MS + endMinute * MINUTE_MS)
      if (start < previousEnd) start = previousEnd
      if (end <= start) continue
      previousEnd = end
      if (start >= range.end) return
      if (end > range.start) yield { start, end }
    }
  }
}

/**
 * The working-hours intervals (UTC instants, per local day and weekday) that overlap `range`, sorted and
 * disjoint. DST: nonexistent local times shift forward by the gap (like Luxon: 02:30 → 03:30 on a
 * spring-forward day); ambiguous local times take their first occurrence.
 */
export function workingIntervals(settings: CalendarSettings, range: Interval): Interval[] {
  return [...iterateWorkingIntervals(settings, range)]
}

/** True when `interval` lies inside one working-hours interval. */
export function isWithinWorkingHours(settings: CalendarSettings, interval: Interval): boolean {
  for (const working of iterateWorkingIntervals(settings, {
    start: interval.start - 1,
    end: interval.end + 1,
  })) {
    if (working.start <= interval.start && interval.end <= working.end) return true
  }
  return false
}

/** True when `interval` overlaps any blackout of the calendar. */
export function overlapsBlackout(settings: CalendarSettings, interval: Interval): boolean {
  return settings.blackouts.some((blackout) => blackout.start < interval.end && blackout.end > interval.start)
}

/**
 * The calendar-local day `date` (`YYYY-MM-DD`) as instants: local midnight to the next local midnight,
 * 23 or 25 hours long on DST transition days (a midnight inside a gap shifts forward).
 */
export function localDayRange(settings: Pick<CalendarSettings, 'timezone'>, date: string): Interval {
  const zone = calendarZone(settings.timezone)
  const day = epochDay(date)
  return { start: localToInstant(zone, day * DAY_MS), end: localToInstant(zone, (day + 1) * DAY_MS) }
}

/**
 * True when the instant's local wall-clock minute of the day is a multiple of `slotMinutes` and its
 * seconds and milliseconds are zero.
 */
export function isSlotBoundary(
  settings: Pick<CalendarSettings, 'timezone' | 'slotMinutes'>,
  instant: Instant,
) {
  const local = toLocalMs(calendarZone(settings.timezone), instant)
  return mod(local, MINUTE_MS) === 0 && (mod(local, DAY_MS) / MINUTE_MS) % settings.slotMinutes === 0
}

/**
 * The first slot boundary at or after `instant`. Between offset changes the wall clock runs with real
 * time, so the next boundary is found arithmetically; when an offset change lies before it, the search
 * restarts at the change (located by bisection).
 */
export function nextSlotBoundary(
  settings: Pick<CalendarSettings, 'timezone' | 'slotMinutes'>,
  instant: Instant,
): Instant {
  const zone = calendarZone(settings.timezone)
  const slot = settings.slotMinutes
  let t = Math.ceil(instant)
  for (;;) {
    const offset = offsetMs(zone, t)
    const local = t + offset
    const subMinute = mod(local, MINUTE_MS)
    const minute = (mod(local, DAY_MS) - subMinute) / MINUTE_MS
    if (subMinute === 0 && minute % slot === 0) return t
    const target = Math.min(Math.floor(minute / slot) * slot + slot, 1440)
    const candidate = t - subMinute + (target - minute) * MINUTE_MS
    if (offsetMs(zone, candidate) === offset) return candidate
    let low = t
    let high = candidate
    while (high - low > 1) {
      const middle = low + Math.floor((high - low) / 2)
      if (offsetMs(zone, middle) === offset) low = middle
      else high = middle
    }
    t = high
  }
}
