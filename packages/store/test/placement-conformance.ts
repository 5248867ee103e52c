import type { EventRecord } from '@scheduler/core'
import {
  aCalendar,
  aJob,
  aMessage,
  aMessageOf,
  anEvent,
  aPlan,
  aScheduledEvent,
  HOUR,
  MINUTE,
  T0,
} from '@scheduler/test-helpers/builders'
import type { Test } from 'tap'
import { OverlapError, RevisionMovedError, StaleJobError, type Store } from '../src/port.js'

const CAL = 'default'

type Scenario = (title: string, body: (t: Test, store: Store) => Promise<void>) => unknown

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
