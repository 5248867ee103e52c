import t from 'tap'
import { planJobFailure } from '../src/index.js'
import { anEvent } from './builders.js'

const NOW = Date.parse('2026-12-01T08:00:00Z')
const ERROR = { code: 'INTERNAL', message: 'The change could not be applied' }

t.test('a job failing for good fails its pending event NOT_APPLIED, with event.failed', async (t) => {
  const event = anEvent({ id: 'evt_a', version: 1, sequence: 0 })
  const plan = planJobFailure({
    job: { id: 'job_a', type: 'create', eventId: event.id },
    event,
    error: ERROR,
    now: NOW,
  })
  t.strictSame(plan.job, { state: 'failed', outcome: null, error: ERROR })
  t.equal(plan.upserts.length, 1)
  t.match(plan.upserts[0], {
    id: 'evt_a',
    status: 'failed',
    start: null,
    end: null,
    failure: { code: 'NOT_APPLIED', alternatives: [] },
    version: 2,
    sequence: 1,
    updatedAt: NOW,
  })
  t.match(plan.notifications, [
    { type: 'event.failed', event: { id: 'evt_a', status: 'failed' }, previous: null },
  ])
})

t.test('any other event is left as it is; a missing one too', async (t) => {
  for (const status of ['scheduled', 'failed', 'cancelled', 'completed'] as const) {
    const event = anEvent({ status })
    const plan = planJobFailure({
      job: { id: 'job_b', type: 'update', eventId: event.id },
      event,
      error: ERROR,
      now: NOW,
    })
    t.strictSame(
      plan,
      {
        upserts: [],
        deletions: [],
        job: { state: 'failed', outcome: null, error: ERROR },
        notifications: [],
      },
      status,
    )
  }
  const gone = planJobFailure({
    job: { id: 'job_c', type: 'delete', eventId: 'evt_x' },
    event: null,
    error: ERROR,
    now: NOW,
  })
  t.strictSame(gone.upserts, [])
})
