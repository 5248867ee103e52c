import fc from 'fast-check'
import t from 'tap'
import { createIntervalIndex, type Interval, overlaps } from '../src/index.js'
import { DAY, HOUR } from './builders.js'

const byStart = (a: Interval, b: Interval) => a.start - b.start || a.end - b.end

t.test('overlapping answers the half-open overlaps, by start', async (t) => {
  const index = createIntervalIndex([
    { start: 50, end: 60 },
    { start: 10, end: 20 },
    { start: 0, end: 1000 },
    { start: 20, end: 30 },
    { start: 25, end: 25 },
  ])
  t.equal(index.size, 4, 'the empty interval is dropped')
  t.same(index.overlapping({ start: 20, end: 21 }), [
    { start: 0, end: 1000 },
    { start: 20, end: 30 },
  ])
  t.same(index.overlapping({ start: 19, end: 20 }), [
    { start: 0, end: 1000 },
    { start: 10, end: 20 },
  ])
  t.same(index.overlapping({ start: 30, end: 50 }), [{ start: 0, end: 1000 }], 'touching is not overlapping')
  t.same(index.overlapping({ start: 40, end: 40 }), [], 'an empty range overlaps nothing')
  t.same(createIntervalIndex([]).overlapping({ start: 0, end: 10 }), [])
  t.equal(createIntervalIndex([]).reads, 0)
  t.ok(overlaps({ start: 0, end: 2 }, { start: 1, end: 3 }))
  t.notOk(overlaps({ start: 0, end: 1 }, { start: 1, end: 3 }))
})

t.test('overlapping agrees with a linear scan', async (t) => {
  const interval = fc
    .record({
      start: fc.integer({ min: 0, max: 1000 }),
      length: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 1000 })),
    })
    .map(({ start, length }) => ({ start, end: start + length }))
  fc.assert(
    fc.property(fc.array(interval, { maxLength: 60 }), interval, (intervals, range) => {
      const expected =
        range.end > range.start
          ? intervals.filter((i) => i.end > i.start && overlaps(i, range)).sort(byStart)
          : []
      const actual = createIntervalIndex(intervals).overlapping(range)
      return JSON.stringify(actual) === JSON.stringify(expected)
    }),
    { numRuns: 200 },
  )
  t.pass('agrees')
})

t.test('a query reads only intervals near its range, long ones included', async (t) => {
  const start = Date.parse('2026-01-01T00:00:00Z')
  const intervals: Interval[] = []
  for (let i = 0; i < 10_000; i++)
    intervals.push({ start: start + i * 4 * HOUR, end: start + i * 4 * HOUR + HOUR })
  const day = { start: start + 700 * DAY, end: start + 701 * DAY }

  const short = createIntervalIndex(intervals)
  t.equal(short.overlapping(day).length, 6)
  t.ok(short.reads < 40, `read ${short.reads} of ${short.size} intervals`)

  // one long interval starting well before the query: a two-year leave
  const withLong = createIntervalIndex([...intervals, { start: start + 10 * DAY, end: start + 740 * DAY }])
  const found = withLong.overlapping(day)
  t.equal(found.length, 7, 'six short ones and the long one')
  t.same(found[0], { start: start + 10 * DAY, end: start + 740 * DAY })
  t.ok(withLong.reads < 60, `read ${withLong.reads} of ${withLong.size} intervals`)
})
