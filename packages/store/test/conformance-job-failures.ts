import {
  CALENDAR_ID_DEFAULT,
  type CalendarSettings,
  type EventRecord,
  planJob,
  planningRange,
  SUPPORTED_RANGE,
} from '@scheduler/core'
import {
  aCalendar,
  aJob,
  aMessageOf,
  anEvent,
  anIdempotencyWrite,
  aScheduledEvent,
  T0,
} from '@scheduler/test-helpers/builders'
import fc from 'fast-check'
import type { Test } from 'tap'
import type { Store } from '../src/port.js'

type Scenario = (title: string, body: (t: Test, store: Store) => Promise<void>) => unknown

const CAL = CALENDAR_ID_DEFAULT
const ERROR = { code: 'INTERNAL', message: 'The change could not be applied' }

/**
 * No job failure leaves its event `pending` (issue 7, item 2), and text the API accepts round-trips exactly
 * (item 1): scenarios every adapter must pass.
 */
export function jobFailureScenarios(scenario: Scenario): void {
  scenario(
    'failJob: a pending event whose create fails for good ends failed NOT_APPLIED',
    async (t, store) => {
      const event = anEvent()
      const job = aJob({ eventId: event.id })
      await store.submit({ calendarId: CAL, job, event })
      await store.startJob(CAL, job.id)

      const plan = await store.failJob(CAL, job.id, ERROR, T0, aMessageOf)
      t.ok(plan, 'answers the plan it applied')
      const failed = await store.getEvent(CAL, event.id)
      t.match(failed, {
        status: 'failed',
        start: null,
        end: null,
        failure: { code: 'NOT_APPLIED', alternatives: [] },
        version: event.version + 1,
        sequence: event.sequence + 1,
        updatedAt: T0,
      })
      t.match(await store.getJob(CAL, job.id), { state: 'failed', error: ERROR, finishedAt: T0 })
      const messages = await store.undispatchedMessages(10)
      t.match(
        messages,
        [{ type: 'event.failed', eventId: event.id, createdAt: T0 }],
        'event.failed, in the same write',
      )

      t.equal(await store.failJob(CAL, job.id, ERROR, T0 + 1, aMessageOf), null, 'again: nothing to do')
      t.strictSame(await store.getEvent(CAL, event.id), failed, 'unchanged')
      t.equal((await store.undispatchedMessages(10)).length, 1, 'no second message')

      // Such an event can be cancelled, then deleted, by the ordinary jobs
      const settings: CalendarSettings = aCalendar()
      for (const type of ['cancel', 'delete'] as const) {
        const change = aJob({ eventId: event.id, type, payload: { type } })
        await store.submit({ calendarId: CAL, job: change })
        const current = await store.getEvent(CAL, event.id)
        const decided = planJob({
          job: change,
          event: current,
          settings,
          now: T0 + 2,
          occupying: [],
          busy: new Map(),
        })
        t.equal(decided.job.state, 'completed', `${type} applies`)
        await store.applyPlan({
          calendarId: CAL,
          jobId: change.id,
          upserts: decided.upserts,
          deletions: decided.deletions,
          job: { ...decided.job, finishedAt: T0 + 2 },
          messages: decided.notifications.map((notification) => aMessageOf(notification, T0 + 2)),
        })
      }
      t.equal(await store.getEvent(CAL, event.id), null, 'cancelled, then deleted')
    },
  )

  scenario('failJob: an unknown or finished job changes nothing', async (t, store) => {
    t.equal(await store.failJob(CAL, 'job_unknown', ERROR, T0, aMessageOf), null)
    const event = aScheduledEvent(T0, 30)
    const job = aJob({ eventId: event.id })
    await store.submit({ calendarId: CAL, job, event })
    await store.applyPlan({
      calendarId: CAL,
      jobId: job.id,
      upserts: [],
      deletions: [],
      job: { state: 'completed', outcome: { displaced: [] }, error: null, finishedAt: T0 },
      messages: [],
    })
    const before = await store.getJob(CAL, job.id)
    t.equal(await store.failJob(CAL, job.id, ERROR, T0 + 1, aMessageOf), null)
    t.strictSame(await store.getJob(CAL, job.id), before, 'keeps its outcome')
    t.strictSame(await store.getEvent(CAL, event.id), event, 'event untouched')
    t.strictSame(await store.undispatchedMessages(10), [])
  })

  scenario(
    'events at both ends of the supported range of instants are stored and looked up',
    async (t, store) => {
      const first = aScheduledEvent(SUPPORTED_RANGE.start, 60, {
        placement: 'fixed',
        requestedStart: SUPPORTED_RANGE.start,
      })
      const lastStart = SUPPORTED_RANGE.end - 60 * 60_000
      const last = aScheduledEvent(lastStart, 60, { placement: 'fixed', requestedStart: lastStart })
      const job = aJob({ eventId: last.id })
      await store.submit({ calendarId: CAL, job })
      await store.applyPlan({
        calendarId: CAL,
        jobId: job.id,
        upserts: [first, last],
        deletions: [],
        job: { state: 'completed', outcome: { displaced: [] }, error: null, finishedAt: T0 },
        messages: [],
      })
      t.strictSame(await store.getEvent(CAL, last.id), last)
      // The widest look-up the worker makes around them: the largest buffer and duration, cut to the range
      const settings = aCalendar({ bufferMinutes: 1440, horizonDays: 3650 })
      for (const event of [first, last]) {
        const range = planningRange(settings, T0, {
          durationMinutes: 1440,
          requestedStart: event.requestedStart,
        })
        t.ok(
          (await store.occupying(CAL, range)).some((found) => found.id === event.id),
          'found around it',
        )
        t.ok(
          Array.isArray(await store.busyOverlapping(CAL, ['ann@example.com'], range)),
          'busy look-up answers',
        )
      }
    },
  )

  scenario('any text the API accepts (no NUL, no unpaired surrogate) is stored exactly', async (t, store) => {
    const storable = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
      .filter((s) => !s.includes('\u0000'))
    await fc.assert(
      fc.asyncProperty(storable, storable, storable, async (title, name, reason) => {
        const event: EventRecord = {
          ...anEvent(),
          title,
          description: `${title}\n${name}`,
          location: reason,
          attendees: [{ email: 'ann@example.com', name, required: true }],
        }
        const job = aJob({ eventId: event.id })
        const idempotency = anIdempotencyWrite({
          response: { status: 202, body: { event: { title, name } } },
        })
        await store.submit({ calendarId: CAL, job, event, idempotency })
        t.strictSame(await store.getEvent(CAL, event.id), event)
        const record = await store.findIdempotency(CAL, idempotency.key, idempotency.createdAt + 1)
        t.strictSame(record?.response, idempotency.response, 'the stored answer (jsonb) too')
        const calendar = aCalendar({ blackouts: [{ start: T0, end: T0 + 1, reason }] })
        await store.putCalendar(calendar)
        t.strictSame((await store.getCalendar(CAL))?.blackouts, calendar.blackouts)
      }),
      { numRuns: 25 },
    )
  })
}
