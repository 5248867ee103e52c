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
  WEEKDAYS,
} from '../src/index.js'
import { at, DAY, iso, MINUTE } from './builders.js'
import { type OracleQuery, oracle } from './slot-oracle.js'

/** Zones and the days around which `now` is drawn: DST transitions in New York, a +05:30 zone, UTC. */
const SCENARIOS = [
  { timezone: 'America/New_York', around: at('2026-03-08T00:00:00Z') },
  { timezone: 'America/New_York', around: at('2026-11-01T00:00:00Z') },
  { timezone: 'Asia/Kolkata', around: at('2026-06-10T00:00:00Z') },
  { timezone: 'UTC', around: at('2026-12-01T00:00:00Z') },
] as const

/** Local times biased towards the small hours, where the DST transitions are. */
const cutPoint = fc.oneof(
  fc.integer({ min: 0, max: 12 }).map((i) => i * 15),
  fc.integer({ min: 0, max: 48 }).map((i) => i * 30),
)

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

const dayRanges: fc.Arbitrary<LocalTimeRange[]> = fc
  .uniqueArray(cutPoint, { minLength: 0, maxLength: 4 })
  .map((points) => {
    const sorted = [...points].sort((a, b) => a - b)
    const ranges: LocalTimeRange[] = []
    for (let i = 0; i + 1 < sorted.length; i += 2) {
      ranges.push({ start: hhmm(sorted[i] as number), end: hhmm(sorted[i + 1] as number) })
    }
    return ranges
  })

const settingsArb = (timezone: string, around: number): fc.Arbitrary<CalendarSettings> =>
  fc.record({
    id: fc.constant('default'),
    timezone: fc.constant(timezone),
    workingHours: fc
      .tuple(...WEEKDAYS.map(() => dayRanges))
      .map(
        (days) =>
          Object.fromEntries(WEEKDAYS.map((d, i) => [d, days[i]])) as CalendarSettings['workingHours'],
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
