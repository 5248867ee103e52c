import { Temporal } from '@js-temporal/polyfill'
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

/**
 * The IANA time zone identifier `name` in the case the tz database spells it (`america/new_york` →
 * `America/New_York`, `utc` → `UTC`, `etc/utc` → `Etc/UTC`), or null when it names no IANA zone (offsets
 * such as `+05:30` included). Links are kept as named, not replaced by their target (`US/Eastern` stays
 * `US/Eastern`, `Asia/Kolkata` is not turned into ICU's `Asia/Calcutta`): the case is normalised as
 * Temporal's GetAvailableNamedTimeZoneIdentifier does (via the TC39 polyfill), which, unlike
 * `Intl.DateTimeFormat#resolvedOptions().timeZone`, does not depend on the ICU version's link choices.
 */
export function canonicalTimeZone(name: string): string | null {
  if (typeof name !== 'string') return null
  // ASCII lower case only, as zone names are matched (a Kelvin sign must not find "k")
  const key = name.replace(/[A-Z]/g, (letter) => letter.toLowerCase())
  const known = canonicalNames.get(key)
  if (known) return known
  if (!IANAZone.isValidZone(name)) return null
  try {
    const id = new Temporal.ZonedDateTime(0n, name).timeZoneId
    if (!IANAZone.isValidZone(id)) return null
    canonicalNames.set(key, id)
    return id
  } catch {
    return null
  }
}

// Valid names only, by their lower case: at most one entry per zone of the tz database.
const canonicalNames = new Map<string, string>()

function rawOffsetMs(zone: IANAZone, instant: Instant): number {
  return Math.round(zone.offset(instant) * MINUTE_MS)
}

const HOUR_MS = 3_600_000
/**
 * Offsets per zone and UTC hour: the offset of a whole hour whose first and last milliseconds agree (no
 * zone changes its offset twice within an hour), or null for an hour with a change in it. Reading an offset
 * through Intl costs microseconds and slot finding reads the same hours over and over.
 */
const hourOffsets = new Map<IANAZone, Map<number, number | null>>()

function offsetMs(zone: IANAZone, instant: Instant): number {
  let hours = hourOffsets.get(zone)
  if (!hours) {
    hours = new Map()
    hourOffsets.set(zone, hours)
  }
  const hour = Math.floor(instant / HOUR_MS)
  let known = hours.get(hour)
  if (known === undefined) {
    const first = rawOffsetMs(zone, hour * HOUR_MS)
    known = first === rawOffsetMs(zone, hour * HOUR_MS + HOUR_MS - 1) ? first : null
    if (hours.size >= 200_000) hours.clear()
    hours.set(hour, known)
  }
  return known ?? rawOffsetMs(zone, instant)
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

/**
 * A working-hours range as [start, end] minutes after its day's local midnight, or null when a time is not
 * `HH:MM`. An end that is not after the start lies on the next day (`22:00`–`02:00` is [1320, 1560]); an
 * end equal to the start makes a 24-hour range (`00:00`–`00:00` is the whole day, [0, 1440]). `24:00` as an
 * end is the next midnight.
 */
export function localRangeMinutes(range: LocalTimeRange): [number, number] | null {
  const start = parseLocalTime(range?.start)
  const end = parseLocalTime(range?.end, true)
  if (start === null || end === null) return null
  return [start, end > start ? end : end + 1440]
}

function rangeMinutes(range: LocalTimeRange): [number, number] {
  const minutes = localRangeMinutes(range)
  if (minutes === null) throw new Error(`Invalid working-hours range ${range.start}-${range.end}`)
  return minutes
}

function emptyWeek(): Record<Weekday, LocalTimeRange[]> {
  return { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] }
}

/**
 * Parses a working-hours spec such as `mon-fri 09:00-17:00` or
 * `mon-thu 09:00-12:00,13:00-17:00; fri 09:00-13:00`: groups separated by `;`, each a day list (days and
 * day ranges separated by `,`; a range may wrap, `sun-sat` is every day) and a `,`-separated list of
 * `HH:MM-HH:MM` ranges (`24:00` allowed as an end, `9:00` read as `09:00`; an end not after the start runs
 * into the next day, `mon-fri 22:00-02:00`, see `localRangeMinutes`). Days not listed have no working
 * hours. Throws an Error naming the problem (overlapping ranges of one day included; overlaps with the
 * day before are left to `validateCalendarSettings`).
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
      ranges.push({ start, end })
    }
    ranges.sort((a, b) => rangeMinutes(a)[0] - rangeMinutes(b)[0])
    for (let i = 1; i < ranges.length; i++) {
      const previous = ranges[i - 1] as LocalTimeRange
      const current = ranges[i] as LocalTimeRange
      if (rangeMinutes(previous)[1] > rangeMinutes(current)[0]) {
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
 * Checks: a valid IANA zone (any case; callers store `canonicalTimeZone`'s spelling), `HH:MM` times
 * (`24:00` allowed as an end; an end not after the start runs into the next day, see
 * `localRangeMinutes`), each day's ranges sorted and non-overlapping and none overlapping a range of the
 * day before that runs past midnight (touching is fine: the ranges join), slotMinutes 1–1440,
 * bufferMinutes and minNoticeMinutes ≥ 0, horizonDays 1–3650 (all integers), blackouts with end after start.
 */
export function validateCalendarSettings(s: CalendarSettings): string[] {
  const problems: string[] = []
  if (typeof s.id !== 'string' || s.id === '') problems.push('id: must be a non-empty string')
  if (typeof s.timezone !== 'string' || canonicalTimeZone(s.timezone) === null) {
    problems.push(`timezone: "${String(s.timezone)}" is not a valid IANA time zone`)
  }
  if (typeof s.workingHours !== 'object' || s.workingHours === null) {
    problems.push('workingHours: must list the ranges of every weekday')
  } else {
    // The range of each day that reaches furthest past its midnight, to check the next day against.
    const spills = new Map<Weekday, { range: LocalTimeRange; until: number }>()
    for (const day of WEEKDAYS) {
      const ranges = s.workingHours[day]
      if (!Array.isArray(ranges)) continue
      for (const range of ranges) {
        const minutes = localRangeMinutes(range)
        if (minutes === null || minutes[1] <= 1440) continue
        if ((spills.get(day)?.until ?? 0) < minutes[1] - 1440) {
          spills.set(day, { range, until: minutes[1] - 1440 })
        }
      }
    }
    WEEKDAYS.forEach((day, dayIndex) => {
      const ranges = s.workingHours[day]
      if (!Array.isArray(ranges)) {
        problems.push(`workingHours.${day}: must be a list of ranges`)
        return
      }
      const dayBefore = WEEKDAYS[(dayIndex + 6) % 7] as Weekday
      const spill = spills.get(dayBefore)
      let previousEnd = -1
      ranges.forEach((range, i) => {
        const path = `workingHours.${day}[${i}]`
        const start = parseLocalTime(range?.start)
        const end = parseLocalTime(range?.end, true)
        if (start === null)
          problems.push(`${path}.start: "${range?.start}" is not a time HH:MM (00:00–23:59)`)
        if (end === null) problems.push(`${path}.end: "${range?.end}" is not a time HH:MM (00:00–24:00)`)
        const minutes = localRangeMinutes(range)
        if (minutes === null) return
        if (minutes[0] < previousEnd) {
          problems.push(`${path}: ${range.start}-${range.end} overlaps or precedes the range before it`)
        } else if (spill && minutes[0] < spill.until) {
          problems.push(
            `${path}: ${range.start}-${range.end} overlaps ${dayBefore} ${spill.range.start}-${spill.range.end}, which runs into ${day}`,
          )
        }
        previousEnd = Math.max(previousEnd, minutes[1])
      })
    })
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

const WEEK_MINUTES = 7 * 1440
const WEEK_MS = 7 * DAY_MS
/** Local epoch milliseconds of Monday 1970-01-05 00:00, where the local weeks are counted from. */
const FIRST_MONDAY_MS = 4 * DAY_MS

/**
 * A week of working hours on the local wall clock, in minutes after Monday 00:00 (an end may pass the
 * week's end: Sunday night into Monday). `ranges`: every range, sorted by start. `segments`: their
 * maximal unions, sorted, neither overlapping nor touching (joined across midnight and across the end of
 * the week too), each with the index in `ranges` of its first range. `always`: the week is covered without
 * a gap, so working time never begins or ends.
 */
interface WallWeek {
  ranges: [number, number][]
  segments: { start: number; end: number; firstRange: number }[]
  always: boolean
}

const wallWeeks = new WeakMap<CalendarSettings['workingHours'], WallWeek>()

function wallWeek(workingHours: CalendarSettings['workingHours']): WallWeek {
  const known = wallWeeks.get(workingHours)
  if (known) return known
  const ranges: [number, number][] = []
  WEEKDAYS.forEach((day, dayIndex) => {
    for (const range of workingHours[day]) {
      const [start, end] = rangeMinutes(range)
      ranges.push([dayIndex * 1440 + start, dayIndex * 1440 + end])
    }
  })
  ranges.sort((a, b) => a[0] - b[0])
  const segments: WallWeek['segments'] = []
  ranges.forEach(([start, end], index) => {
    const last = segments[segments.length - 1]
    if (last && start <= last.end) last.end = Math.max(last.end, end)
    else segments.push({ start, end, firstRange: index })
  })
  // The last segment may run past Sunday midnight into the first ones of the next week.
  for (;;) {
    const first = segments[0]
    const last = segments[segments.length - 1]
    if (!first || !last || first === last || last.end - WEEK_MINUTES < first.start) break
    last.end = Math.max(last.end, first.end + WEEK_MINUTES)
    segments.shift()
  }
  const only = segments.length === 1 ? segments[0] : undefined
  const week = { ranges, segments, always: only !== undefined && only.end - only.start >= WEEK_MINUTES }
  wallWeeks.set(workingHours, week)
  return week
}

/**
 * Lazily yields the working intervals (UTC instants) that overlap `range`, in order: maximal stretches of
 * working time, neither overlapping nor touching, *not* clipped to `range` (an interval's `start` is where
 * its working time begins, the anchor of its slot boundaries; see `nextSlotBoundary`).
 *
 * Each day's ranges are local wall-clock times in the calendar's zone; a range whose end is not after its
 * start runs into the next day (`localRangeMinutes`). Each range becomes an interval of instants — DST: a
 * local time in a spring-forward gap is shifted forward by the gap (02:30 → 03:30 EDT), an ambiguous one
 * takes its first occurrence (`localToInstant`), a range that becomes empty is dropped — and intervals
 * that touch or overlap are joined: across local midnight and the end of the week (mon 22:00–24:00 with
 * tue 00:00–02:00 is one interval, as is one mon 22:00–02:00 range) and across DST changes. When the
 * week's hours leave no gap at all, the one interval is (−∞, +∞).
 * Throws a RangeError for a range with an infinite end.
 */
export function* iterateWorkingIntervals(settings: CalendarSettings, range: Interval): Generator<Interval> {
  if (!Number.isFinite(range.start) || !Number.isFinite(range.end)) {
    throw new RangeError('Working intervals need a finite range')
  }
  if (range.end <= range.start) return
  const { ranges, segments, always } = wallWeek(settings.workingHours)
  if (segments.length === 0) return
  if (always) {
    yield { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY }
    return
  }
  const zone = calendarZone(settings.timezone)
  const weekStart = (week: number) => FIRST_MONDAY_MS + week * WEEK_MS

  // Start with the wall-clock segment before the last one that begins a day before the range's local
  // start: a range before that segment ends before the range begins, unless a DST gap joins it to the
  // segment after it, which is the one started from.
  const from = toLocalMs(zone, range.start) - DAY_MS
  let week = Math.floor((from - FIRST_MONDAY_MS) / WEEK_MS)
  let segment = -1
  while (
    segment + 1 < segments.length &&
    weekStart(week) + (segments[segment + 1] as WallWeek['segments'][number]).start * MINUTE_MS <= from
  ) {
    segment++
  }
  segment -= 1
  while (segment < 0) {
    week -= 1
    segment += segments.length
  }
  let index = (segments[segment] as WallWeek['segments'][number]).firstRange

  // Instants are joined in `pending` until no later range can reach them: a range starting at local time
  // L starts at an instant after L − 24 h, whatever the offsets.
  const pending: Interval[] = []
  for (;;) {
    const [startMinute, endMinute] = ranges[index] as [number, number]
    const wallStart = weekStart(week) + startMinute * MINUTE_MS
    while (pending.length > 0 && (pending[0] as Interval).end < wallStart - DAY_MS) {
      const done = pending.shift() as Interval
      if (done.start >= range.end) return
      if (done.end > range.start) yield done
    }
    const start = localToInstant(zone, wallStart)
    const end = localToInstant(zone, weekStart(week) + endMinute * MINUTE_MS)
    if (end > start) join(pending, { start, end })
    index += 1
    if (index === ranges.length) {
      index = 0
      week += 1
    }
  }
}

/** Adds `interval` to sorted, disjoint, non-touching `intervals`, joining those it touches or overlaps. */
function join(intervals: Interval[], interval: Interval): void {
  let joined = { ...interval }
  const kept: Interval[] = []
  for (const other of intervals) {
    if (other.start <= joined.end && joined.start <= other.end) {
      joined = { start: Math.min(joined.start, other.start), end: Math.max(joined.end, other.end) }
    } else kept.push(other)
  }
  kept.push(joined)
  kept.sort((a, b) => a.start - b.start)
  intervals.splice(0, intervals.length, ...kept)
}

/**
 * The working intervals (UTC instants) that overlap `range`, sorted, disjoint and maximal (see
 * `iterateWorkingIntervals`: overnight ranges, ranges joined across midnight and DST changes).
 */
export function workingIntervals(settings: CalendarSettings, range: Interval): Interval[] {
  return [...iterateWorkingIntervals(settings, range)]
}

/**
 * The working interval (see `iterateWorkingIntervals`) that holds all of `interval`, or null when none
 * does; an empty `interval` needs an interval holding its instant.
 */
export function workingIntervalAround(settings: CalendarSettings, interval: Interval): Interval | null {
  for (const working of iterateWorkingIntervals(settings, {
    start: interval.start - 1,
    end: interval.end + 1,
  })) {
    if (working.start <= interval.start && interval.end <= working.end) return working
  }
  return null
}

/** True when `interval` lies inside one working interval (joined across midnight, see above). */
export function isWithinWorkingHours(settings: CalendarSettings, interval: Interval): boolean {
  return workingIntervalAround(settings, interval) !== null
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
 * Where slot boundaries fall, as a function of local epoch milliseconds: `since` is how far the local time
 * lies past the last boundary, `next` how far the next boundary lies ahead (both in local milliseconds).
 * From a finite anchor: every `slotMinutes` of local wall-clock time counted from the anchor's local time.
 * Without one (working time that never begins): every `slotMinutes` from each local midnight.
 */
function slotGrid(zone: IANAZone, slotMinutes: number, anchor: Instant) {
  const slot = slotMinutes * MINUTE_MS
  if (Number.isFinite(anchor)) {
    const base = toLocalMs(zone, anchor)
    return {
      since: (local: number) => mod(local - base, slot),
      next: (local: number) => slot - mod(local - base, slot),
    }
  }
  return {
    since: (local: number) => mod(mod(local, DAY_MS), slot),
    next: (local: number) => {
      const ofDay = mod(local, DAY_MS)
      return Math.min(ofDay - mod(ofDay, slot) + slot, DAY_MS) - ofDay
    },
  }
}

/**
 * True when `instant` is a slot boundary of the working interval `working` (only its `start` is read):
 * not before `working.start`, and a whole number of `slotMinutes` of local wall-clock time after it (with
 * zero seconds and milliseconds when the start has them). For working hours 09:30–17:00 and 60-minute slots
 * the boundaries are 09:30, 10:30, …; for an interval joined across midnight (22:00–02:00) they are counted
 * on from its start (22:00, 23:00, 00:00, 01:00). A `working.start` of −∞ (hours without a gap) counts from
 * every local midnight. Where a DST change moves the wall clock, the boundaries follow the wall clock:
 * skipped local times are not boundaries, repeated ones are boundaries twice.
 *
 * Changed for issue 7 item 4: the working interval is a new second parameter (was
 * `isSlotBoundary(settings, instant)`, boundaries counted from local midnight).
 */
export function isSlotBoundary(
  settings: Pick<CalendarSettings, 'timezone' | 'slotMinutes'>,
  working: Pick<Interval, 'start'>,
  instant: Instant,
): boolean {
  if (instant < working.start) return false
  const zone = calendarZone(settings.timezone)
  return slotGrid(zone, settings.slotMinutes, working.start).since(toLocalMs(zone, instant)) === 0
}

/**
 * The first slot boundary of the working interval `working` (see `isSlotBoundary`; only its `start` is
 * read) at or after `instant` — and at or after `working.start`. It may lie past the interval's end: the
 * caller checks. Between offset changes the wall clock runs with real time, so the next boundary is found
 * arithmetically; when an offset change lies before it, the search restarts at the change (located by
 * bisection).
 *
 * Changed for issue 7 item 4: the working interval is a new second parameter (was
 * `nextSlotBoundary(settings, instant)`, boundaries counted from local midnight).
 */
export function nextSlotBoundary(
  settings: Pick<CalendarSettings, 'timezone' | 'slotMinutes'>,
  working: Pick<Interval, 'start'>,
  instant: Instant,
): Instant {
  const zone = calendarZone(settings.timezone)
  const grid = slotGrid(zone, settings.slotMinutes, working.start)
  let t = Math.ceil(Math.max(instant, working.start))
  for (;;) {
    const offset = offsetMs(zone, t)
    if (grid.since(t + offset) === 0) return t
    const candidate = t + grid.next(t + offset)
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
