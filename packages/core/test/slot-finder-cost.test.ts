import t from 'tap'
import { createIntervalIndex, findSlot, type Interval } from '../src/index.js'
import { aCalendar, at, DAY, HOUR, isoSpan, MINUTE } from './builders.js'

t.test('findSlot for a one-day window reads a handful of intervals out of 10,000', async (t) => {
  const start = at('2026-01-01T00:00:00Z')
  const occupied: Interval[] = []
  // 10,000 one-hour events, one every four hours around the clock: about four and a half years
  for (let i = 0; i < 10_000; i++) {
    occupied.push({ start: start + i * 4 * HOUR + 2 * HOUR, end: start + i * 4 * HOUR + 3 * HOUR })
  }
  const busyTimes: Interval[] = []
  for (let i = 0; i < 2_000; i++) {
    busyTimes.push({ start: start + i * DAY + 15 * HOUR, end: start + i * DAY + 15 * HOUR + 30 * MINUTE })
  }
  const occupiedIndex = createIntervalIndex(occupied)
  const busyIndex = createIntervalIndex(busyTimes)
  const settings = aCalendar({ horizonDays: 3650, bufferMinutes: 15 })

  const began = performance.now()
  const result = findSlot({
    settings,
    now: start,
    durationMinutes: 60,
    window: { kind: 'date', date: '2028-06-14' }, // a Wednesday: 13:00Z-21:00Z (EDT)
    occupied: occupiedIndex,
    busy: busyIndex,
  })
  const elapsed = performance.now() - began

  // occupied 14:00-15:00Z and 18:00-19:00Z (+15 min buffer), busy 15:00-15:30Z: the first free hour is 15:30Z
  t.same(result.ok && isoSpan(result.slot), ['2028-06-14T15:30:00.000Z', '2028-06-14T16:30:00.000Z'])
  const reads = occupiedIndex.reads + busyIndex.reads
  t.ok(reads < 50, `read ${reads} intervals (occupied ${occupiedIndex.reads}, busy ${busyIndex.reads})`)
  t.ok(elapsed < 200, `took ${elapsed.toFixed(1)} ms`)
})
