import fc from 'fast-check'
import t from 'tap'
import {
  type CalendarSettings,
  createIntervalIndex,
  DAY_MS,
  FreeGapIndex,
  findSlot,
  gapQueryOf,
  type Interval,
  type LocalTimeRange,
  type PlacementWindow,
  WEEKDAYS,
} from '../src/index.js'
import { at, DAY, iso, MINUTE, week } from './builders.js'
import { oracle } from './slot-oracle.js'

/** Zones and days around DST transitions, a +05:30 zone and UTC (as the slot finder's properties). */
const SCENARIOS = [
  { timezone: 'America/New_York', around: at('2026-03-08T00:00:00Z') },
  { timezone: 'America/New_York', around: at('2026-11-01T00:00:00Z') },
  { timezone: 'Asia/Kolkata', around: at('2026-06-10T00:00:00Z') },
  { timezone: 'UTC', around: at('2026-12-01T00:00:00Z') },
] as const

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

const cutPoint = fc.oneof(
  fc.integer({ min: 0, max: 12 }).map((i) => i * 15),
  fc.integer({ min: 0, max: 48 }).map((i) => i * 30),
)

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

const allDay = Object.fromEntries(WEEKDAYS.map((d) => [d, [{ start: '00:00', end: '24:00' }]]))

const settingsArb = (timezone: string, around: number): fc.Arbitrary<CalendarSettings> =>
  fc.record({
    id: fc.constant('default'),
    timezone: fc.constant(timezone),
    workingHours: fc.oneof(
      fc
        .tuple(...WEEKDAYS.map(() => dayRanges))
        .map(
          (days) =>
            Object.fromEntries(WEEKDAYS.map((d, i) => [d, days[i]])) as CalendarSettings['workingHours'],
        ),
      fc.constant(allDay as CalendarSettings['workingHours']),
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

const intervalArb = (around: number): fc.Arbitrary<Interval> =>
  fc
    .record({ from: fc.integer({ min: -24 * 12, max: 96 * 12 }), length: fc.integer({ min: 1, max: 36 }) })
    .map(({ from, length }) => ({
      start: around + from * 5 * MINUTE,
      end: around + (from + length) * 5 * MINUTE,
    }))

const windowArb = (around: number): fc.Arbitrary<PlacementWindow> => {
  const instant = fc.integer({ min: -24 * 4, max: 72 * 4 }).map((q) => around + q * 15 * MINUTE)
  return fc.oneof(
    fc.constant(null),
    fc.integer({ min: -1, max: 3 }).map((offset) => ({
      kind: 'date' as const,
      date: iso(around + offset * DAY).slice(0, 10),
    })),
    fc
      .record({ notBefore: fc.option(instant), notAfter: fc.option(instant) })
      .map(({ notBefore, notAfter }) =>
        notBefore !== null && notAfter !== null && notAfter < notBefore
          ? { kind: 'range' as const, notBefore: notAfter, notAfter: notBefore }
          : { kind: 'range' as const, notBefore, notAfter },
      ),
  )
}

/** An operation on the calendar: occupy a new interval, or release the i-th still occupied one. */
type Op = { kind: 'occupy'; interval: Interval } | { kind: 'release'; index: number }

const scenarioArb = fc.constantFrom(...SCENARIOS).chain(({ timezone, around }) =>
  fc.record({
    settings: settingsArb(timezone, around),
    now: fc
      .record({
        minutes: fc.integer({ min: -3 * 24 * 60, max: 12 * 60 }),
        ms: fc.constantFrom(0, 0, 0, 1234),
      })
      .map(({ minutes, ms }) => around + minutes * MINUTE + ms),
    initial: fc.array(intervalArb(around), { maxLength: 6 }),
    ops: fc.array(
      fc.oneof(
        intervalArb(around).map((interval): Op => ({ kind: 'occupy', interval })),
        fc.nat(20).map((index): Op => ({ kind: 'release', index })),
      ),
      { maxLength: 12 },
    ),
    queries: fc.array(
      fc.record({
        durationMinutes: fc.constantFrom(5, 15, 30, 45, 60, 90, 120),
        window: windowArb(around),
        busy: fc.array(intervalArb(around), { maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
)

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never

/** Runs the operations on a fresh index; answers it and the intervals still occupied. */
function replay(s: Scenario): { index: FreeGapIndex; occupied: Interval[] } {
  const occupied = [...s.initial]
  const index = new FreeGapIndex(s.settings, s.now, s.now + s.settings.horizonDays * DAY_MS, occupied)
  for (const op of s.ops) {
    if (op.kind === 'occupy') {
      occupied.push(op.interval)
      index.occupy(op.interval)
    } else if (occupied.length > 0) {
      const [released] = occupied.splice(op.index % occupied.length, 1) as [Interval]
      index.release(released)
    }
  }
  return { index, occupied }
}

t.test('the earliest gap equals findSlot after random occupies and releases', async (t) => {
  fc.assert(
    fc.property(scenarioArb, (s) => {
      const { index, occupied } = replay(s)
      for (const q of s.queries) {
        const busy = createIntervalIndex(q.busy)
        const query = {
          settings: s.settings,
          now: s.now,
          durationMinutes: q.durationMinutes,
          window: q.window,
        }
        const expected = findSlot({ ...query, occupied: createIntervalIndex(occupied), busy })
        const actual = index.earliest(gapQueryOf({ ...query, busy }))
        const want = expected.ok ? expected.slot : null
        if (JSON.stringify(actual) !== JSON.stringify(want)) {
          throw new Error(`index ${JSON.stringify(actual)} findSlot ${JSON.stringify(want)}`)
        }
      }
    }),
    { numRuns: 300 },
  )
  t.pass('the index answers what findSlot answers')
})

t.test('the earliest gap equals the minute-by-minute oracle', async (t) => {
  fc.assert(
    fc.property(scenarioArb, (s) => {
      const { index, occupied } = replay(s)
      const q = s.queries[0] as Scenario['queries'][number]
      const expected = oracle({
        settings: s.settings,
        now: s.now,
        durationMinutes: q.durationMinutes,
        window: q.window,
        occupied,
        busy: q.busy,
      }).result
      const actual = index.earliest(
        gapQueryOf({
          settings: s.settings,
          now: s.now,
          durationMinutes: q.durationMinutes,
          window: q.window,
          busy: createIntervalIndex(q.busy),
        }),
      )
      return JSON.stringify(actual) === JSON.stringify(expected.ok ? expected.slot : null)
    }),
    { numRuns: 40 },
  )
  t.pass('the index answers what the oracle answers')
})

t.test(
  'gaps are the maximal free pieces of each working interval, whatever the order of changes',
  async (t) => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { index, occupied } = replay(s)
        const rebuilt = new FreeGapIndex(s.settings, s.now, s.now + s.settings.horizonDays * DAY_MS, occupied)
        return JSON.stringify(index.allGaps()) === JSON.stringify(rebuilt.allGaps())
      }),
      { numRuns: 300 },
    )
    t.pass('incremental gaps equal a rebuild')
  },
)

t.test('extendTo grows the domain as a rebuild over the longer domain would', async (t) => {
  const settings: CalendarSettings = {
    id: 'default',
    timezone: 'America/New_York',
    workingHours: week({ mon: [{ start: '09:00', end: '17:00' }], tue: [{ start: '00:00', end: '24:00' }] }),
    bufferMinutes: 5,
    slotMinutes: 15,
    minNoticeMinutes: 0,
    horizonDays: 30,
    blackouts: [],
  }
  const now = at('2026-03-02T15:00:00Z')
  const occupied = [
    { start: at('2026-03-03T12:00:00Z'), end: at('2026-03-03T13:00:00Z') },
    { start: at('2026-03-10T12:00:00Z'), end: at('2026-03-10T13:00:00Z') },
  ]
  const grown = new FreeGapIndex(settings, now, now + 1.5 * DAY_MS, occupied)
  grown.extendTo(now + 20 * DAY_MS)
  const rebuilt = new FreeGapIndex(settings, now, now + 20 * DAY_MS, occupied)
  t.same(grown.allGaps(), rebuilt.allGaps())
  t.equal(
    grown.earliest({ from: now + 2 * DAY_MS, to: now + 40 * DAY_MS, durationMinutes: 30 }),
    undefined,
    'beyond the domain: no answer',
  )
})

/** A UTC calendar working around the clock, no buffer, no notice, no blackouts. */
function aroundTheClock(shape: Pick<CalendarSettings, 'slotMinutes' | 'horizonDays'>): CalendarSettings {
  return {
    id: 'default',
    timezone: 'UTC',
    workingHours: allDay as CalendarSettings['workingHours'],
    bufferMinutes: 0,
    minNoticeMinutes: 0,
    blackouts: [],
    ...shape,
  }
}

t.test(
  'a dense calendar: the earliest slot lies after every placed event, found without walking them',
  async (t) => {
    const settings = aroundTheClock({ slotMinutes: 5, horizonDays: 365 })
    const now = at('2026-01-01T00:00:00Z')
    const occupied: Interval[] = []
    for (let i = 0; i < 50_000; i++)
      occupied.push({ start: now + i * 5 * MINUTE, end: now + (i + 1) * 5 * MINUTE })
    const index = new FreeGapIndex(settings, now, now + 366 * DAY_MS, occupied)
    const slot = index.earliest({ from: now, to: now + 365 * DAY_MS, durationMinutes: 5 })
    t.same(slot, { start: now + 50_000 * 5 * MINUTE, end: now + 50_001 * 5 * MINUTE })
    index.release(occupied[10] as Interval)
    t.same(index.earliest({ from: now, to: now + 365 * DAY_MS, durationMinutes: 5 }), occupied[10])
    t.equal(
      index.earliest({ from: now, to: now + 365 * DAY_MS, durationMinutes: 10 })?.start,
      now + 50_000 * 5 * MINUTE,
    )
  },
)

t.test(
  'a horizon booked with a short event in every slot: a query reads a handful of gaps, not all',
  async (t) => {
    // The default calendar's slot grid (15 minutes) with 5-minute events. Each slot keeps 10 free minutes after
    // its event, longer than the event but with no slot boundary in them, so none can take it.
    const settings = aroundTheClock({ slotMinutes: 15, horizonDays: 60 })
    // Every slot-grid computation reads `slotMinutes`: the count says how many gaps a query aligned
    let reads = 0
    const counted = new Proxy(settings, {
      get(target, property, receiver) {
        if (property === 'slotMinutes') reads++
        return Reflect.get(target, property, receiver)
      },
    })
    const now = at('2026-01-01T00:00:00Z')
    const slots = 60 * 96
    const occupied: Interval[] = []
    for (let i = 0; i < slots; i++)
      occupied.push({ start: now + i * 15 * MINUTE, end: now + i * 15 * MINUTE + 5 * MINUTE })
    const index = new FreeGapIndex(counted, now, now + 61 * DAY_MS, occupied)
    t.equal(index.gapCount, slots)

    reads = 0
    t.equal(index.earliest({ from: now, to: now + 60 * DAY_MS, durationMinutes: 5 }), null, 'no slot left')
    t.ok(reads <= 4, `the full horizon answered after ${reads} alignments (${slots} gaps)`)

    reads = 0
    const last = index.earliest({ from: now, to: now + 61 * DAY_MS, durationMinutes: 5 })
    t.same(last, { start: now + slots * 15 * MINUTE, end: now + slots * 15 * MINUTE + 5 * MINUTE })
    t.ok(reads <= 4, `the first slot past them found after ${reads} alignments`)
  },
)
