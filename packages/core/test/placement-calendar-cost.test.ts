import t from 'tap'
import {
  type CalendarSettings,
  type EventRecord,
  type Interval,
  type PlacedEvent,
  PlacementCalendar,
  placedEventOf,
  WEEKDAYS,
} from '../src/index.js'
import { aCalendar, anActiveJob, anEvent, aScheduled, at, MINUTE } from './builders.js'

// The slow paths of planning against the in-memory calendar (an update that moves its event, a fixed event
// that displaces, a placement that fails) take their slots from the free-gap index like a create does:
// on a calendar booked back to back from now on, they read a handful of the events, not all of them.

const NOW = at('2026-01-05T00:00:00Z')
const SETTINGS: CalendarSettings = {
  ...aCalendar({ timezone: 'UTC', slotMinutes: 5, horizonDays: 30 }),
  workingHours: Object.fromEntries(
    WEEKDAYS.map((day) => [day, [{ start: '00:00', end: '24:00' }]]),
  ) as CalendarSettings['workingHours'],
}

/** Counts the occupying events the planner reads through `overlapping`. */
class CountingCalendar extends PlacementCalendar {
  reads = 0
  override overlapping(range: Interval): PlacedEvent[] {
    const found = super.overlapping(range)
    this.reads += found.length
    return found
  }
}

/** A calendar booked with `count` back-to-back 5-minute auto events from NOW on; their records by id. */
function booked(count: number) {
  const records = new Map<string, EventRecord | null>()
  const events: PlacedEvent[] = []
  for (let i = 0; i < count; i++) {
    const id = `evt_${String(i).padStart(5, '0')}`
    const record = aScheduled(id, NOW + i * 5 * MINUTE, NOW + (i + 1) * 5 * MINUTE)
    records.set(id, record)
    events.push(placedEventOf(record) as PlacedEvent)
  }
  const calendar = new CountingCalendar(
    { settings: SETTINGS, revision: 0, from: NOW, events, busy: new Map() },
    NOW,
  )
  return { calendar, records }
}

const FULL = 30 * 288 // the whole 30-day horizon
const MOST = 8_000 // about 27.8 days: the rest of the horizon is free

t.test('an update that moves its event reads a handful of 8,000 events', async (t) => {
  const { calendar, records } = booked(MOST)
  const event = records.get('evt_00010') as EventRecord
  const plan = calendar.plan(
    anActiveJob(
      { type: 'update', changes: { durationMinutes: 10 }, expectedVersion: null },
      { eventId: event.id, createdAt: NOW },
    ),
    event,
    NOW,
    records,
  )
  const moved = plan.upserts[0]
  t.equal(moved?.start, NOW + MOST * 5 * MINUTE, 'the longer event goes after the last one')
  t.ok(calendar.reads < 20, `read ${calendar.reads} events`)
})

t.test('a fixed event that displaces reads a handful of 8,000 events', async (t) => {
  const { calendar, records } = booked(MOST)
  const fixed = anEvent({ placement: 'fixed', requestedStart: NOW + 20 * 5 * MINUTE, durationMinutes: 5 })
  const plan = calendar.plan(
    anActiveJob({ type: 'create' }, { eventId: fixed.id, createdAt: NOW }),
    fixed,
    NOW,
    records,
  )
  t.strictSame(
    plan.job.outcome?.displaced.map((move) => [move.eventId, move.to?.start]),
    [['evt_00020', NOW + MOST * 5 * MINUTE]],
    'the displaced event goes after the last one',
  )
  t.ok(calendar.reads < 20, `read ${calendar.reads} events`)
})

t.test('a placement that fails on a full horizon reads a handful of its 8,640 events', async (t) => {
  const { calendar, records } = booked(FULL)
  const event = anEvent({ durationMinutes: 30 })
  const plan = calendar.plan(
    anActiveJob({ type: 'create' }, { eventId: event.id, createdAt: NOW }),
    event,
    NOW,
    records,
  )
  t.equal(plan.upserts[0]?.failure?.code, 'NO_SLOT_AVAILABLE')
  t.ok(calendar.reads < 20, `read ${calendar.reads} events`)
})

t.test('a displacing plan without the displaced records names them', async (t) => {
  const { calendar } = booked(40)
  const fixed = anEvent({ placement: 'fixed', requestedStart: NOW + 20 * 5 * MINUTE, durationMinutes: 10 })
  t.throws(
    () => calendar.plan(anActiveJob({ type: 'create' }, { eventId: fixed.id, createdAt: NOW }), fixed, NOW),
    {
      name: 'RecordsNeededError',
      ids: ['evt_00020', 'evt_00021'],
    },
  )
})
