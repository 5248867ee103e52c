import t from 'tap'
import { type CalendarSettings, type EventRecord, planJob, WEEKDAYS } from '../src/index.js'
import { aCalendar, anEvent as aNewEvent, anActiveJob, HOUR, MINUTE } from './builders.js'

const NOW = Date.parse('2026-12-01T08:00:00Z') // a Tuesday

/** UTC, every day 09:00–17:00, 30 days ahead. */
const settings = aCalendar({
  timezone: 'UTC',
  workingHours: Object.fromEntries(
    WEEKDAYS.map((day) => [day, [{ start: '09:00', end: '17:00' }]]),
  ) as CalendarSettings['workingHours'],
  horizonDays: 30,
})

function anEvent(overrides: Partial<EventRecord> = {}): EventRecord {
  return aNewEvent({ id: 'evt_a', createdAt: NOW - HOUR, updatedAt: NOW - HOUR, ...overrides })
}

function aScheduledEvent(id: string, start: number, overrides: Partial<EventRecord> = {}): EventRecord {
  return anEvent({
    id,
    status: 'scheduled',
    start,
    end: start + 30 * MINUTE,
    version: 2,
    sequence: 1,
    ...overrides,
  })
}

const nine = Date.parse('2026-12-01T09:00:00Z')
const noBusy = new Map<string, { start: number; end: number }[]>()

t.test('create places an auto event in the earliest slot and announces it', async (t) => {
  const plan = planJob({
    job: anActiveJob({ type: 'create' }, { createdAt: NOW }),
    event: anEvent(),
    settings,
    now: NOW,
    occupying: [aScheduledEvent('evt_b', nine)],
    busy: noBusy,
  })
  t.equal(plan.job.state, 'completed')
  const [placed] = plan.upserts
  t.equal(placed?.status, 'scheduled')
  t.equal(placed?.start, nine + 30 * MINUTE, 'right after the occupying event')
  t.equal(placed?.version, 2)
  t.equal(placed?.sequence, 1)
  t.same(
    plan.notifications.map((n) => n.type),
    ['event.scheduled'],
  )
})

t.test('a create whose event is no longer pending changes nothing (a redelivered job)', async (t) => {
  const plan = planJob({
    job: anActiveJob({ type: 'create' }, { createdAt: NOW }),
    event: aScheduledEvent('evt_a', nine),
    settings,
    now: NOW,
    occupying: [],
    busy: noBusy,
  })
  t.same(plan.upserts, [])
  t.equal(plan.job.state, 'completed')
})

t.test('create fails when no slot is left, with event.failed', async (t) => {
  const plan = planJob({
    job: anActiveJob({ type: 'create' }, { createdAt: NOW }),
    event: anEvent({ window: { kind: 'date', date: '2026-12-01' }, durationMinutes: 8 * 60 + 15 }),
    settings,
    now: NOW,
    occupying: [],
    busy: noBusy,
  })
  t.equal(plan.upserts[0]?.status, 'failed')
  t.equal(plan.upserts[0]?.failure?.code, 'NO_SLOT_AVAILABLE')
  t.same(
    plan.notifications.map((n) => n.type),
    ['event.failed'],
  )
})

t.test('a fixed event displaces the auto event it overlaps and records the audit trail', async (t) => {
  const plan = planJob({
    job: anActiveJob({ type: 'create' }, { createdAt: NOW }),
    event: anEvent({ placement: 'fixed', requestedStart: nine }),
    settings,
    now: NOW,
    occupying: [aScheduledEvent('evt_b', nine)],
    busy: noBusy,
  })
  const byId = new Map(plan.upserts.map((event) => [event.id, event]))
  t.equal(byId.get('evt_a')?.start, nine)
  t.equal(byId.get('evt_b')?.start, nine + 30 * MINUTE)
  t.same(plan.job.outcome?.displaced, [
    {
      eventId: 'evt_b',
      from: { start: nine, end: nine + 30 * MINUTE },
      to: { start: nine + 30 * MINUTE, end: nine + HOUR },
    },
  ])
  const rescheduled = plan.notifications.find((n) => n.type === 'event.rescheduled')
  t.same(rescheduled?.previous, { start: nine, end: nine + 30 * MINUTE })
})

t.test('an update with a stale expected version is refused and writes nothing', async (t) => {
  const plan = planJob({
    job: anActiveJob({ type: 'update', changes: { title: 'New' }, expectedVersion: 1 }, { createdAt: NOW }),
    event: aScheduledEvent('evt_a', nine),
    settings,
    now: NOW,
    occupying: [],
    busy: noBusy,
  })
  t.equal(plan.job.state, 'failed')
  t.equal(plan.job.error?.code, 'PRECONDITION_FAILED')
  t.same(plan.upserts, [])
})

t.test('a title change keeps the time and bumps the version', async (t) => {
  const event = aScheduledEvent('evt_a', nine)
  const plan = planJob({
    job: anActiveJob(
      { type: 'update', changes: { title: 'Renamed' }, expectedVersion: 2 },
      { createdAt: NOW },
    ),
    event,
    settings,
    now: NOW,
    occupying: [event],
    busy: noBusy,
  })
  t.equal(plan.upserts[0]?.title, 'Renamed')
  t.equal(plan.upserts[0]?.start, nine)
  t.equal(plan.upserts[0]?.version, 3)
  t.same(plan.notifications, [])
})

t.test('a longer duration keeps the start when it still fits', async (t) => {
  const event = aScheduledEvent('evt_a', nine)
  const plan = planJob({
    job: anActiveJob(
      { type: 'update', changes: { durationMinutes: 60 }, expectedVersion: null },
      { createdAt: NOW },
    ),
    event,
    settings,
    now: NOW,
    occupying: [event],
    busy: noBusy,
  })
  t.equal(plan.upserts[0]?.start, nine)
  t.equal(plan.upserts[0]?.end, nine + HOUR)
})

t.test('a longer fixed event that would overlap another fixed event fails with CONFLICT', async (t) => {
  const event = aScheduledEvent('evt_a', nine, { placement: 'fixed', requestedStart: nine })
  const other = aScheduledEvent('evt_b', nine + 30 * MINUTE, {
    placement: 'fixed',
    requestedStart: nine + 30 * MINUTE,
  })
  const plan = planJob({
    job: anActiveJob(
      { type: 'update', changes: { durationMinutes: 60 }, expectedVersion: null },
      { createdAt: NOW },
    ),
    event,
    settings,
    now: NOW,
    occupying: [event, other],
    busy: noBusy,
  })
  t.equal(plan.upserts[0]?.status, 'failed')
  t.equal(plan.upserts[0]?.failure?.code, 'CONFLICT')
})

t.test('cancel frees the time and announces it; a second cancel changes nothing', async (t) => {
  const event = aScheduledEvent('evt_a', nine)
  const plan = planJob({
    job: anActiveJob({ type: 'cancel' }, { createdAt: NOW }),
    event,
    settings,
    now: NOW,
    occupying: [event],
    busy: noBusy,
  })
  t.equal(plan.upserts[0]?.status, 'cancelled')
  t.same(
    plan.notifications.map((n) => n.type),
    ['event.cancelled'],
  )
  const again = planJob({
    job: anActiveJob({ type: 'cancel' }, { createdAt: NOW }),
    event: plan.upserts[0] ?? null,
    settings,
    now: NOW,
    occupying: [],
    busy: noBusy,
  })
  t.same(again.upserts, [])
  t.equal(again.job.state, 'completed')
})

t.test('delete removes the event; deleting a missing event is a completed no-op', async (t) => {
  const event = aScheduledEvent('evt_a', nine)
  const plan = planJob({
    job: anActiveJob({ type: 'delete' }, { createdAt: NOW }),
    event,
    settings,
    now: NOW,
    occupying: [event],
    busy: noBusy,
  })
  t.same(plan.deletions, ['evt_a'])
  t.same(
    plan.notifications.map((n) => n.type),
    ['event.deleted'],
  )
  const gone = planJob({
    job: anActiveJob({ type: 'delete' }, { createdAt: NOW }),
    event: null,
    settings,
    now: NOW,
    occupying: [],
    busy: noBusy,
  })
  t.equal(gone.job.state, 'completed')
  t.same(gone.deletions, [])
})

t.test('an update of a missing event is refused', async (t) => {
  const plan = planJob({
    job: anActiveJob({ type: 'update', changes: { title: 'x' }, expectedVersion: null }, { createdAt: NOW }),
    event: null,
    settings,
    now: NOW,
    occupying: [],
    busy: noBusy,
  })
  t.equal(plan.job.error?.code, 'EVENT_NOT_FOUND')
})

t.test('status completed is kept and needs no placement', async (t) => {
  const event = aScheduledEvent('evt_a', nine)
  const plan = planJob({
    job: anActiveJob(
      { type: 'update', changes: { status: 'completed' }, expectedVersion: null },
      { createdAt: NOW },
    ),
    event,
    settings,
    now: NOW,
    occupying: [event],
    busy: noBusy,
  })
  t.equal(plan.upserts[0]?.status, 'completed')
  t.equal(plan.upserts[0]?.start, nine)
})

t.test('moving an auto event to another day reschedules it with its previous time', async (t) => {
  const event = aScheduledEvent('evt_a', nine)
  const plan = planJob({
    job: anActiveJob(
      {
        type: 'update',
        changes: { when: { placement: 'auto', window: { kind: 'date', date: '2026-12-02' } } },
        expectedVersion: null,
      },
      { createdAt: NOW },
    ),
    event,
    settings,
    now: NOW,
    occupying: [event],
    busy: noBusy,
  })
  t.equal(plan.upserts[0]?.start, Date.parse('2026-12-02T09:00:00Z'))
  t.same(
    plan.notifications.map((n) => [n.type, n.previous]),
    [['event.rescheduled', { start: nine, end: nine + 30 * MINUTE }]],
  )
})
