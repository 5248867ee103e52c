import type { EventRecord, JobRecord } from '@scheduler/core'
import {
  aCalendar,
  aJob,
  aMessage,
  aMessageOf,
  anEvent,
  aPlan,
  aScheduledEvent,
  DAY,
  HOUR,
  MINUTE,
  T0,
} from '@scheduler/test-helpers/builders'
import type { Test } from 'tap'
import { OverlapError, RevisionMovedError, StaleJobError, type Store } from '../src/port.js'
import { aCreate, CAL, OTHER, rejectsWith, type Scenario, seed } from './conformance-support.js'

/** A pending event and its queued create job, stored as the API stores them. */
async function submitted(store: Store, event: EventRecord = anEvent()) {
  const job = aJob({ eventId: event.id })
  await store.submit({ calendarId: CAL, job, event })
  return { job, event }
}

function placed(event: EventRecord, start: number): EventRecord {
  return {
    ...event,
    status: 'scheduled',
    start,
    end: start + event.durationMinutes * MINUTE,
    version: event.version + 1,
    sequence: event.sequence + 1,
    updatedAt: T0,
  }
}

async function revisionOf(store: Store): Promise<number> {
  const snapshot = await store.loadCalendar(CAL, T0 - 10 * HOUR)
  if (!snapshot) throw new Error('no calendar')
  return snapshot.revision
}

/**
 * The placement engine's store methods (issue 8): the calendar revision, the snapshot the worker loads,
 * batches of plans in one transaction.
 */
export function placementScenarios(scenario: Scenario): void {
  scenario(
    'loadCalendar: settings, revision, occupying events ending after `from`, every busy time',
    async (t, store) => {
      t.equal(await store.loadCalendar(CAL, T0), null, 'no settings, no calendar')
      await store.ensureCalendar(aCalendar())
      const past = aScheduledEvent(T0 - 5 * HOUR, 60)
      const later = aScheduledEvent(T0 + HOUR, 60)
      const pending = anEvent()
      for (const event of [past, later, pending])
        await store.submit({ calendarId: CAL, job: aJob({ eventId: event.id }), event })
      await store.putBusy(CAL, 'Ann@Example.com', [{ start: T0, end: T0 + HOUR }])
      const snapshot = await store.loadCalendar(CAL, T0 - HOUR)
      t.strictSame(snapshot?.settings, aCalendar())
      t.strictSame(
        snapshot?.events.map((e) => e.id),
        [later.id],
        'only scheduled events that end after from',
      )
      t.strictSame([...(snapshot?.busy ?? new Map())], [['ann@example.com', [{ start: T0, end: T0 + HOUR }]]])
    },
  )

  scenario(
    'every write that affects placement bumps the revision; reads and intake do not',
    async (t, store) => {
      await store.ensureCalendar(aCalendar())
      let revision = await revisionOf(store)
      const { job } = await submitted(store)
      t.equal(await revisionOf(store), revision, 'a submission does not')
      await store.putCalendar(aCalendar({ bufferMinutes: 5 }))
      t.ok((await revisionOf(store)) > revision, 'settings PUT')
      revision = await revisionOf(store)
      await store.putBusy(CAL, 'a@example.com', [])
      t.ok((await revisionOf(store)) > revision, 'busy-times PUT')
      revision = await revisionOf(store)
      await store.failJob(CAL, job.id, { code: 'INTERNAL', message: 'x' }, T0, aMessageOf)
      t.ok((await revisionOf(store)) > revision, 'a failed job')
      revision = await revisionOf(store)
      const other = await submitted(store)
      await store.applyPlan(aPlan(other.job, { upserts: [placed(other.event, T0)] }))
      t.ok((await revisionOf(store)) > revision, 'a plan applied outside a batch')
    },
  )

  scenario(
    'applyPlans commits a batch in one transaction and bumps the revision by one',
    async (t, store) => {
      await store.ensureCalendar(aCalendar())
      const revision = await revisionOf(store)
      const first = await submitted(store)
      const second = await submitted(store)
      const firstPlaced = placed(first.event, T0)
      const secondPlaced = placed(second.event, T0 + HOUR)
      const messages = [
        aMessage({ eventId: first.event.id, createdAt: T0 }),
        aMessage({ eventId: second.event.id, createdAt: T0 }),
      ]
      const answer = await store.applyPlans({
        calendarId: CAL,
        expectedRevision: revision,
        plans: [
          aPlan(first.job, { upserts: [firstPlaced], messages: [messages[0]!] }),
          aPlan(second.job, {
            upserts: [secondPlaced],
            messages: [messages[1]!],
            job: { state: 'failed', outcome: null, error: { code: 'X', message: 'y' }, finishedAt: T0 },
          }),
        ],
      })
      t.strictSame(answer, { revision: revision + 1 })
      t.strictSame(await store.getEvent(CAL, first.event.id), firstPlaced)
      t.strictSame(await store.getEvent(CAL, second.event.id), secondPlaced)
      t.equal((await store.getJob(CAL, first.job.id))?.state, 'completed')
      t.strictSame(
        (await store.getJob(CAL, second.job.id))?.error,
        { code: 'X', message: 'y' },
        'each job its own outcome',
      )
      t.strictSame(
        (await store.undispatchedMessages(10)).map((m) => m.id),
        messages.map((m) => m.id),
        'the outbox in plan order',
      )
      const loaded = await store.loadJobs(CAL, [second.job.id, 'job_unknown', first.job.id])
      t.strictSame(
        loaded.jobs.map((j) => j.id),
        [second.job.id, first.job.id],
        'jobs in the order asked',
      )
      t.strictSame(loaded.events.map((e) => e.id).sort(), [first.event.id, second.event.id].sort())
    },
  )

  scenario(
    'applyPlans: the last record of an event wins and deletions apply after upserts',
    async (t, store) => {
      await store.ensureCalendar(aCalendar())
      const revision = await revisionOf(store)
      const a = await submitted(store)
      const b = await submitted(store)
      const del = aJob({ eventId: b.event.id, type: 'delete', payload: { type: 'delete' } })
      await store.submit({ calendarId: CAL, job: del })
      const first = placed(a.event, T0)
      const moved = { ...placed(first, T0 + HOUR) }
      await store.applyPlans({
        calendarId: CAL,
        expectedRevision: revision,
        plans: [
          aPlan(a.job, { upserts: [first] }),
          aPlan(b.job, { upserts: [placed(b.event, T0)] }),
          aPlan(del, { deletions: [b.event.id] }),
        ],
      })
      t.strictSame(await store.getEvent(CAL, b.event.id), null, 'deleted')
      await store.applyPlans({
        calendarId: CAL,
        expectedRevision: revision + 1,
        plans: [aPlan((await submitted(store)).job, { upserts: [moved] })],
      })
      t.strictSame(await store.getEvent(CAL, a.event.id), moved)
    },
  )

  scenario(
    'applyPlans refuses a moved revision, a finished job and an overlap, writing nothing',
    async (t, store) => {
      await store.ensureCalendar(aCalendar())
      const revision = await revisionOf(store)
      const a = await submitted(store)
      await store.putBusy(CAL, 'a@example.com', [{ start: T0, end: T0 + HOUR }])
      await rejects(
        t,
        store.applyPlans({
          calendarId: CAL,
          expectedRevision: revision,
          plans: [aPlan(a.job, { upserts: [placed(a.event, T0)] })],
        }),
        RevisionMovedError,
      )
      t.equal((await store.getEvent(CAL, a.event.id))?.status, 'pending', 'nothing written')

      const current = await revisionOf(store)
      const b = await submitted(store)
      await rejects(
        t,
        store.applyPlans({
          calendarId: CAL,
          expectedRevision: current,
          plans: [
            aPlan(a.job, { upserts: [placed(a.event, T0)] }),
            aPlan(b.job, { upserts: [placed(b.event, T0 + 30 * MINUTE)] }),
          ],
        }),
        OverlapError,
      )
      t.equal((await store.getJob(CAL, a.job.id))?.state, 'queued', 'the whole batch rolled back')
      t.equal(await revisionOf(store), current, 'the revision too')

      await store.applyPlans({
        calendarId: CAL,
        expectedRevision: current,
        plans: [aPlan(a.job, { upserts: [placed(a.event, T0)] })],
      })
      await rejects(
        t,
        store.applyPlans({ calendarId: CAL, expectedRevision: current + 1, plans: [aPlan(a.job)] }),
        StaleJobError,
      )
    },
  )
}

async function rejects(
  t: Test,
  promise: Promise<unknown>,
  errorClass: new (...args: never[]) => Error,
): Promise<void> {
  try {
    await promise
    t.fail(`rejects with ${errorClass.name}: it resolved`)
  } catch (error) {
    t.ok(error instanceof errorClass, `rejects with ${errorClass.name}`, { found: error })
  }
}

/** The placement aggregate's plans (`applyPlan`, `failJob`), run by `conformanceSuite` for every adapter. */
export function planScenarios(scenario: Scenario): void {
  scenario('applyPlan moves several events at once (a swap valid only at commit)', async (t, store) => {
    const a = aScheduledEvent(T0, 60)
    const b = aScheduledEvent(T0 + HOUR, 60)
    const doomed = anEvent()
    await seed(store, [a, b, doomed])
    const incoming = aScheduledEvent(T0 + 2 * HOUR, 60, {
      placement: 'fixed',
      requestedStart: T0 + 2 * HOUR,
    })
    const job = aJob({ eventId: incoming.id })
    await store.submit({ calendarId: CAL, job })
    await store.startJob(CAL, job.id)

    const movedA = { ...a, start: T0 + HOUR, end: T0 + 2 * HOUR, version: 2, sequence: 1, updatedAt: T0 }
    const movedB = { ...b, start: T0, end: T0 + HOUR, version: 2, sequence: 1, updatedAt: T0 }
    const messages = [
      aMessage({ type: 'event.rescheduled', eventId: a.id, createdAt: T0 }),
      aMessage({ type: 'event.rescheduled', eventId: b.id, createdAt: T0 + 1 }),
      aMessage({ type: 'event.scheduled', eventId: incoming.id, createdAt: T0 + 2 }),
    ]
    const outcome = {
      displaced: [
        {
          eventId: a.id,
          from: { start: a.start!, end: a.end! },
          to: { start: movedA.start, end: movedA.end },
        },
        { eventId: b.id, from: { start: b.start!, end: b.end! }, to: null },
      ],
    }
    await store.applyPlan(
      aPlan(job, {
        upserts: [movedA, movedB, incoming],
        deletions: [doomed.id],
        job: { state: 'completed', outcome, error: null, finishedAt: T0 + 5 },
        messages,
      }),
    )
    t.strictSame(await store.getEvent(CAL, a.id), movedA)
    t.strictSame(await store.getEvent(CAL, b.id), movedB)
    t.strictSame(await store.getEvent(CAL, incoming.id), incoming)
    t.equal(await store.getEvent(CAL, doomed.id), null, 'deleted')
    t.strictSame(await store.getJob(CAL, job.id), {
      ...job,
      state: 'completed',
      outcome,
      error: null,
      finishedAt: T0 + 5,
    })
    t.strictSame(await store.undispatchedMessages(10), messages, 'the outbox is written with the plan')
    t.strictSame(await store.occupying(CAL, { start: T0, end: T0 + DAY }), [movedB, movedA, incoming])
  })

  scenario('applyPlan on a finished job rejects with StaleJobError and writes nothing', async (t, store) => {
    const event = aScheduledEvent(T0, 60)
    await seed(store, [event])
    const job = aJob({ eventId: event.id })
    await store.submit({ calendarId: CAL, job })
    await store.applyPlan(aPlan(job))
    const completed = await store.getJob(CAL, job.id)

    const rerun = aPlan(job, {
      upserts: [{ ...event, start: T0 + HOUR, end: T0 + 2 * HOUR, version: 2 }],
      deletions: [],
      job: { state: 'failed', outcome: null, error: { code: 'X', message: 'x' }, finishedAt: T0 + HOUR },
      messages: [aMessage({ eventId: event.id })],
    })
    await rejectsWith(t, store.applyPlan(rerun), StaleJobError)
    t.strictSame(await store.getEvent(CAL, event.id), event, 'event unchanged')
    t.strictSame(await store.getJob(CAL, job.id), completed, 'job unchanged')
    t.strictSame(await store.undispatchedMessages(10), [], 'no message')

    const failed = aJob({ eventId: event.id })
    await store.submit({ calendarId: CAL, job: failed })
    await store.failJob(CAL, failed.id, { code: 'EVENT_NOT_FOUND', message: 'gone' }, T0, aMessageOf)
    await rejectsWith(t, store.applyPlan(aPlan(failed, { deletions: [event.id] })), StaleJobError)
    t.strictSame(await store.getEvent(CAL, event.id), event, 'not deleted')
  })

  scenario('applyPlan refuses overlapping occupying events with OverlapError', async (t, store) => {
    const existing = aScheduledEvent(T0, 60)
    await seed(store, [existing])
    const job = aJob()
    await store.submit({ calendarId: CAL, job })
    await store.startJob(CAL, job.id)

    const clash = aScheduledEvent(T0 + 30 * MINUTE, 60)
    await rejectsWith(
      t,
      store.applyPlan(aPlan(job, { upserts: [clash], messages: [aMessage({ eventId: clash.id })] })),
      OverlapError,
    )
    t.equal(await store.getEvent(CAL, clash.id), null, 'nothing written')
    t.equal((await store.getJob(CAL, job.id))?.state, 'active', 'job not finished')
    t.strictSame(await store.undispatchedMessages(10), [], 'no message')

    const pair = [aScheduledEvent(T0 + 3 * HOUR, 60), aScheduledEvent(T0 + 3 * HOUR + 59 * MINUTE, 60)]
    await rejectsWith(t, store.applyPlan(aPlan(job, { upserts: pair })), OverlapError, 'within one plan')

    const fine = [
      aScheduledEvent(T0 + HOUR, 60),
      anEvent({ status: 'cancelled', start: T0, end: T0 + HOUR }),
      anEvent({ status: 'failed', start: T0, end: T0 + HOUR }),
      aScheduledEvent(T0, 60, { calendarId: OTHER }),
    ]
    await store.applyPlan(aPlan(job, { upserts: fine }))
    t.equal(
      (await store.getJob(CAL, job.id))?.state,
      'completed',
      'touching, freed and other calendars are fine',
    )
  })

  scenario('concurrent plans placing events in the same hour: exactly one wins', async (t, store) => {
    const jobs: JobRecord[] = []
    for (let i = 0; i < 10; i++) {
      const job = aJob()
      await store.submit({ calendarId: CAL, job })
      await store.startJob(CAL, job.id)
      jobs.push(job)
    }
    const results = await Promise.allSettled(
      jobs.map((job, i) => {
        const event = aScheduledEvent(T0 + 5 * HOUR + i * 5 * MINUTE, 60, { id: job.eventId })
        return store.applyPlan(aPlan(job, { upserts: [event], messages: [aMessage({ eventId: event.id })] }))
      }),
    )
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    t.equal(won.length, 1, 'one plan applied')
    t.equal(lost.length, 9)
    t.ok(
      lost.every((r) => r.reason instanceof OverlapError),
      'the others rejected with OverlapError',
    )
    t.equal((await store.occupying(CAL, { start: T0, end: T0 + DAY })).length, 1, 'one event stored')
    t.equal((await store.undispatchedMessages(20)).length, 1, "only the winner's message")
    const states = await Promise.all(jobs.map(async (job) => (await store.getJob(CAL, job.id))?.state))
    t.equal(states.filter((s) => s === 'completed').length, 1)
  })

  scenario('the same plan applied twice at once: one applies, the other is stale', async (t, store) => {
    const { job, event } = aCreate()
    await store.submit({ calendarId: CAL, job, event })
    await store.startJob(CAL, job.id)
    const placed = { ...event, status: 'scheduled' as const, start: T0, end: T0 + HOUR, sequence: 1 }
    const plan = aPlan(job, { upserts: [placed], messages: [aMessage({ eventId: event.id })] })
    const results = await Promise.allSettled([store.applyPlan(plan), store.applyPlan(plan)])
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one applied')
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    t.ok(rejected?.reason instanceof StaleJobError, 'the other rejected with StaleJobError')
    t.strictSame(await store.getEvent(CAL, event.id), placed)
    t.equal((await store.undispatchedMessages(10)).length, 1, 'one message')
  })

  scenario('failJob finishes a job as failed without touching a placed event', async (t, store) => {
    const event = aScheduledEvent(T0, 60)
    await seed(store, [event])
    const job = aJob({ eventId: event.id, type: 'cancel', payload: { type: 'cancel' } })
    await store.submit({ calendarId: CAL, job })
    await store.startJob(CAL, job.id)
    await store.failJob(CAL, job.id, { code: 'INTERNAL', message: 'could not apply' }, T0, aMessageOf)
    t.strictSame(await store.getJob(CAL, job.id), {
      ...job,
      state: 'failed',
      error: { code: 'INTERNAL', message: 'could not apply' },
      finishedAt: T0,
    })
    t.strictSame(await store.getEvent(CAL, event.id), event)
  })
}
