import t from 'tap'
import { checkChange, clientStatus, type EventChanges, type EventRecord, isOccupying } from '../src/index.js'
import { at } from './builders.js'

const START = at('2026-12-01T14:00:00Z')
const END = at('2026-12-01T15:00:00Z')
const BEFORE = at('2026-12-01T13:00:00Z')
const DURING = at('2026-12-01T14:30:00Z')
const AFTER = at('2026-12-01T15:00:00Z')

type Stored = Pick<EventRecord, 'id' | 'status' | 'start' | 'end' | 'durationMinutes'>
const scheduled: Stored = { id: 'evt_1', status: 'scheduled', start: START, end: END, durationMinutes: 60 }
const record = (status: EventRecord['status']): Stored =>
  status === 'scheduled' || status === 'completed'
    ? { ...scheduled, status }
    : { ...scheduled, status, start: null, end: null }

t.test('clientStatus derives in_progress and completed from the clock', async (t) => {
  t.equal(clientStatus(scheduled, BEFORE), 'scheduled')
  t.equal(clientStatus(scheduled, START), 'in_progress')
  t.equal(clientStatus(scheduled, DURING), 'in_progress')
  t.equal(clientStatus(scheduled, AFTER), 'completed')
  for (const status of ['pending', 'cancelled', 'failed', 'completed'] as const) {
    t.equal(clientStatus({ ...scheduled, status }, DURING), status, `${status} is reported as stored`)
  }
  t.equal(clientStatus({ status: 'scheduled', start: null, end: null }, DURING), 'scheduled')
})

t.test('isOccupying: stored scheduled only', async (t) => {
  t.ok(isOccupying({ status: 'scheduled' }))
  for (const status of ['pending', 'cancelled', 'failed', 'completed'] as const)
    t.notOk(isOccupying({ status }))
})

t.test('checkChange', async (t) => {
  const ok = (r: Stored, changes: EventChanges, now = BEFORE) => checkChange(r, changes, now).ok

  for (const status of ['pending', 'scheduled', 'failed', 'cancelled'] as const) {
    t.ok(ok(record(status), { status: 'cancelled' }), `cancel from ${status}`)
  }
  t.ok(ok(scheduled, { status: 'cancelled' }, DURING), 'cancel while in progress')
  t.notOk(ok(record('completed'), { status: 'cancelled' }), 'not once completed')
  t.notOk(ok(scheduled, { status: 'cancelled' }, AFTER), 'not once completed by the clock')

  t.ok(ok(scheduled, { status: 'completed' }), 'complete a scheduled event early')
  t.ok(ok(scheduled, { status: 'completed' }, DURING))
  t.ok(ok(scheduled, { status: 'completed' }, AFTER))
  t.ok(ok(record('completed'), { status: 'completed' }), 'completed again is a no-op')
  for (const status of ['pending', 'failed', 'cancelled'] as const) {
    const check = checkChange(record(status), { status: 'completed' }, BEFORE)
    t.same(check, {
      ok: false,
      reason: `Event evt_1 is ${status}; only a scheduled event can be marked completed`,
    })
  }

  const later = { when: { placement: 'fixed' as const, start: at('2026-12-02T14:00:00Z') } }
  for (const status of ['pending', 'scheduled', 'failed'] as const) {
    t.ok(ok(record(status), later), `new time for a ${status} event`)
    t.ok(ok(record(status), { durationMinutes: 90 }), `new duration for a ${status} event`)
  }
  t.ok(ok(scheduled, later, DURING), 'an event in progress may move')
  t.same(checkChange(record('cancelled'), later, BEFORE), {
    ok: false,
    reason: 'Event evt_1 is cancelled; its time can no longer change',
  })
  t.notOk(ok(record('completed'), { durationMinutes: 90 }))
  t.notOk(ok(scheduled, { when: { placement: 'auto', window: null } }, AFTER), 'completed by the clock')
  t.ok(ok(record('completed'), { durationMinutes: 60 }), 'the same duration is no time change')
  t.notOk(ok(scheduled, { status: 'cancelled', durationMinutes: 90 }), 'a status change with a new duration')

  for (const status of ['pending', 'scheduled', 'failed', 'cancelled', 'completed'] as const) {
    t.ok(
      ok(record(status), { title: 'Renamed', description: null, location: 'Room 5', attendees: [] }),
      `edit ${status}`,
    )
  }
})
