import fc from 'fast-check'
import t from 'tap'
import {
  type CalendarSettings,
  createIntervalIndex,
  feasibleSlots,
  findSlot,
  type Interval,
  type LocalTimeRange,
  type PlacementWindow,
  type SlotQuery,
  validateCalendarSettings,
  WEEKDAYS,
  workingIntervals,
} from '../src/index.js'
import { at, DAY, iso, MINUTE } from './builders.js'
import { type OracleQuery, oracle, oracleWorkingIntervals } from './slot-oracle.js'

/**
 * Zones and the days around which `now` is drawn: DST transitions in New York, a +05:30 zone, UTC, and
 * Lord Howe Island's 30-minute DST shifts (back on 2026-04-05, forward on 2026-10-04, at 02:00 local).
 */
const SCENARIOS = [
  { timezone: 'America/New_York', around: at('2026-03-08T00:00:00Z') },
  { timezone: 'America/New_York', around: at('2026-11-01T00:00:00Z') },
  { timezone: 'Asia/Kolkata', around: at('2026-06-10T00:00:00Z') },
  { timezone: 'UTC', around: at('2026-12-01T00:00:00Z') },
  { timezone: 'Australia/Lord_Howe', around: at('2026-04-04T12:00:00Z') },
  { timezone: 'Australia/Lord_Howe', around: at('2026-10-03T12:00:00Z') },
] as const

/** Local times biased towards the small hours, where the DST transitions are. */
const cutPoint = fc.oneof(
  fc.integer({ min: 0, max: 12 }).map((i) => i * 15),
  fc.integer({ min: 0, max: 48 }).map((i) => i * 30),
)

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

/**
 * A day's sorted ranges, often ending with one that runs into the next day (its end not after its start,
 * 24 hours when equal) or at 24:00, where the next day may go on at 00:00.
 */
const dayRanges: fc.Arbitrary<LocalTimeRange[]> = fc
  .tuple(
    fc.uniqueArray(cutPoint, { minLength: 0, maxLength: 4 }),
    fc.option(fc.record({ start: cutPoint, hours: fc.integer({ min: 0, max: 24 }) }), { freq: 2 }),
    fc.constantFrom('none', 'none', 'to-midnight', 'whole-day'),
  )
  .map(([points, overnight, special]) => {
    if (special === 'whole-day') return [{ start: '00:00', end: '24:00' }]
    const sorted = [...points].sort((a, b) => a - b)
    const ranges: LocalTimeRange[] = []
    for (let i = 0; i + 1 < sorted.length; i += 2) {
      ranges.push({ start: hhmm(sorted[i] as number), end: hhmm(sorted[i + 1] as number) })
    }
    const lastEnd = sorted.length >= 2 ? (sorted[sorted.length - (sorted.length % 2) - 1] as number) : 0
    if (special === 'to-midnight' && lastEnd < 1440)
      ranges.push({ start: hhmm(Math.max(lastEnd, 1320)), end: '24:00' })
    else if (overnight && overnight.start < 1440 && overnight.start >= lastEnd) {
      const end = (overnight.start + overnight.hours * 60) % 1440
      ranges.push({ start: hhmm(overnight.start), end: hhmm(end) })
    }
    return ranges
  })

/** Minutes after its day's midnight where a range ends (past 1440 when it runs into the next day). */
function endMinute(range: LocalTimeRange): number {
  const toMinutes = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3))
  const start = toMinutes(range.start)
  const end = toMinutes(range.end)
  return end > start ? end : end + 1440
}

/**
 * Valid hours, as the API accepts them: a range running into the next day is cut short where the next
 * day's first range begins (ending at midnight, `00:00`, when that one starts at 00:00).
 */
function withoutOverlaps(days: LocalTimeRange[][]): LocalTimeRange[][] {
  return days.map((ranges, day) => {
    const next = days[(day + 1) % 7] as LocalTimeRange[]
    const nextStart = next[0] ? Number(next[0].start.slice(0, 2)) * 60 + Number(next[0].start.slice(3)) : 1440
    return ranges.map((range) =>
      endMinute(range) - 1440 > nextStart ? { start: range.start, end: hhmm(nextStart % 1440) } : range,
    )
  })
}

const settingsArb = (timezone: string, around: number): fc.Arbitrary<CalendarSettings> =>
  fc.record({
    id: fc.constant('default'),
    timezone: fc.constant(timezone),
    workingHours: fc.oneof(
      {
        weight: 12,
        arbitrary: fc
          .tuple(...WEEKDAYS.map(() => dayRanges))
          .map(withoutOverlaps)
          .map(
            (days) =>
              Object.fromEntries(WEEKDAYS.map((d, i) => [d, days[i]])) as CalendarSettings['workingHours'],
          ),
      },
      // Working time without a gap: boundaries from each local midnight
      {
        weight: 1,
        arbitrary: fc.constant(
          Object.fromEntries(
            WEEKDAYS.map((d) => [d, [{ start: '00:00', end: '00:00' }]]),
          ) as CalendarSettings['workingHours'],
        ),
      },
    ),
    bufferMinutes: fc.constantFrom(0, 0, 5, 10, 15),
    slotMinutes: fc.constantFrom(5, 15, 15, 20, 25, 30, 45, 60),
    minNoticeMinutes: fc.constantFrom(0, 0, 30, 90, 600),
    horizonDays: fc.integer({ min: 1, max: 3 }),
    blackouts: fc.array(
      fc
        .record({ from: fc.integer({ min: -24, max: 96 }), hours: fc.integer({ min: 1, max: 10 }) })
        .map(({ from, hours }) => ({
          start: around + from * 60 * MINUTE,
          end: around + (from + hours) * 60 * MINUTE,
          reason: null,
        })),
      { maxLength: 2 },
    ),
  })

/** Intervals near the scenario's day, on a 5-minute grid. */
const nearIntervals = (around: number, maxLength: number): fc.Arbitrary<Interval[]> =>
  fc.array(
    fc
      .record({ from: fc.integer({ min: -24 * 12, max: 96 * 12 }), length: fc.integer({ min: 1, max: 36 }) })
      .map(({ from, length }) => ({
        start: around + from * 5 * MINUTE,
        end: around + (from + length) * 5 * MINUTE,
      })),
    { maxLength },
  )

const windowArb = (around: number): fc.Arbitrary<PlacementWindow> => {
  const instant = fc.integer({ min: -24 * 4, max: 72 * 4 }).map((q) => around + q * 15 * MINUTE)
  return fc.oneof(
    { arbitrary: fc.constant(null), weight: 1 },
    {
      arbitrary: fc.integer({ min: -1, max: 3 }).map((offset) => ({
        kind: 'date' as const,
        date: iso(around + offset * DAY).slice(0, 10),
      })),
      weight: 2,
    },
    {
      arbitrary: fc
        .record({ notBefore: fc.option(instant), notAfter: fc.option(instant) })
        .map(({ notBefore, notAfter }) =>
          notBefore !== null && notAfter !== null && notAfter < notBefore
            ? { kind: 'range' as const, notBefore: notAfter, notAfter: notBefore }
            : { kind: 'range' as const, notBefore, notAfter },
        ),
      weight: 2,
    },
    // Windows shorter than some events: nearness to them is not monotone on either side of the window.
    {
      arbitrary: fc
        .record({ from: instant, minutes: fc.integer({ min: 0, max: 12 }).map((i) => i * 10) })
        .map(({ from, minutes }) => ({
          kind: 'range' as const,
          notBefore: from,
          notAfter: from + minutes * MINUTE,
        })),
      weight: 4,
    },
  )
}

const queryArb: fc.Arbitrary<OracleQuery> = fc.constantFrom(...SCENARIOS).chain(({ timezone, around }) =>
  fc.record({
    settings: settingsArb(timezone, around),
    now: fc
      .record({
        minutes: fc.integer({ min: -3 * 24 * 60, max: 12 * 60 }),
        ms: fc.constantFrom(0, 0, 0, 1234),
      })
      .map(({ minutes, ms }) => around + minutes * MINUTE + ms),
    durationMinutes: fc.constantFrom(5, 15, 30, 45, 60, 90, 120),
    window: windowArb(around),
    occupied: nearIntervals(around, 8),
    busy: nearIntervals(around, 4),
  }),
)

function toSlotQuery(q: OracleQuery): SlotQuery {
  return { ...q, occupied: createIntervalIndex(q.occupied), busy: createIntervalIndex(q.busy) }
}

const runs = { numRuns: 150 }

t.test('the generated calendars are valid settings', async (t) => {
  fc.assert(
    fc.property(queryArb, (q) => validateCalendarSettings(q.settings).length === 0),
    runs,
  )
  t.pass('valid')
})

t.test(
  'working intervals are the oracle’s: maximal, joined across midnight and DST, found from any range',
  async (t) => {
    const rangeArb = fc.constantFrom(...SCENARIOS).chain(({ timezone, around }) =>
      fc.record({
        settings: settingsArb(timezone, around),
        from: fc.integer({ min: -48 * 4, max: 96 * 4 }).map((q) => around + q * 15 * MINUTE + 7),
        hours: fc.integer({ min: 0, max: 72 }),
      }),
    )
    fc.assert(
      fc.property(rangeArb, ({ settings, from, hours }) => {
        const range = { start: from, end: from + hours * 60 * MINUTE + 1 }
        const expected = oracleWorkingIntervals(settings, range.start, range.end).filter(
          (w) => w.start < range.end && w.end > range.start,
        )
        return JSON.stringify(workingIntervals(settings, range)) === JSON.stringify(expected)
      }),
      { numRuns: 200 },
    )
    t.pass('workingIntervals matches the oracle')
  },
)

t.test('findSlot agrees with the brute-force oracle, alternatives included', async (t) => {
  fc.assert(
    fc.property(queryArb, (q) => {
      const expected = oracle(q).result
      const actual = findSlot(toSlotQuery(q))
      const comparable = actual.ok
        ? actual
        : { ok: false, code: actual.failure.code, alternatives: actual.failure.alternatives }
      return JSON.stringify(comparable) === JSON.stringify(expected)
    }),
    runs,
  )
  t.pass('findSlot matches the oracle')
})

t.test('the chosen slot keeps the buffer from occupied intervals and avoids busy ones', async (t) => {
  fc.assert(
    fc.property(queryArb, (q) => {
      const result = findSlot(toSlotQuery(q))
      if (!result.ok) return true
      const { start, end } = result.slot
      const buffer = q.settings.bufferMinutes * MINUTE
      return (
        end - start === q.durationMinutes * MINUTE &&
        q.occupied.every((o) => o.end <= start - buffer || o.start >= end + buffer) &&
        q.busy.every((b) => b.end <= start || b.start >= end)
      )
    }),
    runs,
  )
  t.pass('holds')
})

t.test('feasibleSlots is a prefix of the oracle list', async (t) => {
  fc.assert(
    fc.property(queryArb, fc.integer({ min: 1, max: 40 }), (q, limit) => {
      const expected = oracle(q).slots.slice(0, limit)
      const actual = feasibleSlots(toSlotQuery(q), limit)
      return JSON.stringify(actual) === JSON.stringify(expected)
    }),
    runs,
  )
  t.pass('feasibleSlots matches the oracle')
})

/** Open days, long events, windows shorter than the event: alternatives come from both sides of the window. */
const shortWindowArb: fc.Arbitrary<OracleQuery> = fc
  .constantFrom(...SCENARIOS)
  .chain(({ timezone, around }) =>
    fc.record({
      settings: settingsArb(timezone, around).map((settings) => ({
        ...settings,
        horizonDays: 2,
        minNoticeMinutes: 0,
        workingHours: Object.fromEntries(
          WEEKDAYS.map((d) => [d, [{ start: '06:00', end: '22:00' }]]),
        ) as CalendarSettings['workingHours'],
      })),
      now: fc.constant(around),
      durationMinutes: fc.constantFrom(60, 90, 120, 180),
      window: fc
        .record({ from: fc.integer({ min: 0, max: 48 * 4 }), minutes: fc.integer({ min: 0, max: 45 }) })
        .map(({ from, minutes }) => ({
          kind: 'range' as const,
          notBefore: around + from * 15 * MINUTE,
          notAfter: around + from * 15 * MINUTE + minutes * MINUTE,
        })),
      occupied: nearIntervals(around, 4),
      busy: nearIntervals(around, 2),
    }),
  )

t.test('alternatives around windows shorter than the event agree with the oracle', async (t) => {
  fc.assert(
    fc.property(shortWindowArb, (q) => {
      const expected = oracle(q).result
      const actual = findSlot(toSlotQuery(q))
      return (
        !actual.ok &&
        !expected.ok &&
        JSON.stringify(actual.failure.alternatives) === JSON.stringify(expected.alternatives)
      )
    }),
    { numRuns: 60 },
  )
  t.pass('alternatives match the oracle')
})
