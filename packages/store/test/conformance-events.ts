import type { EventRecord } from '@scheduler/core'
import {
  aJob,
  anEvent,
  anIdempotencyWrite,
  aPlan,
  aScheduledEvent,
  DAY,
  HOUR,
  MINUTE,
  T0,
} from '@scheduler/test-helpers/builders'
import { type EventListQuery, InvalidCursorError } from '../src/port.js'
import {
  aCreate,
  aRichEvent,
  CAL,
  expectedIds,
  ids,
  listAll,
  OTHER,
  rejectsWith,
  type Scenario,
  seed,
} from './conformance-support.js'

/** The events-and-jobs aggregate's behaviour: intake, reads, job state, run by `conformanceSuite` for every adapter. */
export function eventScenarios(scenario: Scenario): void {
  scenario('submit stores the event and the job; reads answer them per calendar', async (t, store) => {
    const event = aRichEvent()
    const job = aJob({ eventId: event.id })
    t.strictSame(await store.submit({ calendarId: CAL, job, event }), {
      kind: 'done',
      value: { job, event },
    })
    t.strictSame(await store.getEvent(CAL, event.id), event)
    t.strictSame(await store.getJob(CAL, job.id), job)

    const update = aJob({
      type: 'update',
      eventId: event.id,
      payload: {
        type: 'update',
        changes: { title: 'Renamed', when: { placement: 'fixed', start: T0 + HOUR } },
        expectedVersion: 1,
      },
    })
    t.strictSame(await store.submit({ calendarId: CAL, job: update }), {
      kind: 'done',
      value: { job: update, event: null },
    })
    t.strictSame(await store.getJob(CAL, update.id), update)

    t.equal(await store.getEvent(OTHER, event.id), null, 'events are per calendar')
    t.equal(await store.getJob(OTHER, job.id), null, 'jobs are per calendar')
    t.equal(await store.getEvent(CAL, 'evt_unknown'), null)
    t.equal(await store.getJob(CAL, 'job_unknown'), null)
  })

  scenario('concurrent submissions store every field exactly as a lone one does', async (t, store) => {
    // Made together, they may share one statement (the PostgreSQL adapter groups them): each must still
    // store its event, job and idempotency record field for field, JSON text and odd characters included
    const submissions = Array.from({ length: 12 }, (_, i) => {
      const event = {
        ...aRichEvent(),
        id: `evt_group_${i}`,
        title: `Review ${i} "quoted" \\ back\\slash \u2028 ✓`,
        ...(i % 2 === 0 ? { failure: null, window: null, description: null } : {}),
      }
      const job = aJob({ eventId: event.id, ...(i % 3 === 0 ? { error: null, outcome: null } : {}) })
      const idempotency = anIdempotencyWrite({
        response: {
          status: 202,
          body: { event: { id: event.id, title: event.title }, list: [1, null, 'x'] },
        },
      })
      return { event, job, idempotency }
    })
    const results = await Promise.all(
      submissions.map(({ event, job, idempotency }) =>
        store.submit({ calendarId: CAL, job, event, idempotency }),
      ),
    )
    results.forEach((result, i) => {
      const { event, job } = submissions[i] as (typeof submissions)[number]
      t.strictSame(result, { kind: 'done', value: { job, event } })
    })
    for (const { event, job, idempotency } of submissions) {
      t.strictSame(await store.getEvent(CAL, event.id), event)
      t.strictSame(await store.getJob(CAL, job.id), job)
      t.strictSame(await store.findIdempotency(CAL, idempotency.key, T0 - DAY + MINUTE), {
        ...idempotency,
        calendarId: CAL,
      })
    }
  })

  scenario('submit with an idempotency key replays within 24 h and not after', async (t, store) => {
    const key = anIdempotencyWrite({ createdAt: T0 })
    const first = aCreate()
    t.equal((await store.submit({ calendarId: CAL, ...first, idempotency: key })).kind, 'done')

    const second = aCreate()
    const replay = await store.submit({
      calendarId: CAL,
      ...second,
      idempotency: { ...key, requestHash: 'sha256:another-request', createdAt: T0 + HOUR },
    })
    t.strictSame(replay, { kind: 'replay', record: { ...key, calendarId: CAL } })
    t.equal(await store.getJob(CAL, second.job.id), null, 'a replay stores no job')
    t.equal(await store.getEvent(CAL, second.event.id), null, 'a replay stores no event')

    t.strictSame(await store.findIdempotency(CAL, key.key, T0 + DAY - 1), { ...key, calendarId: CAL })
    t.equal(await store.findIdempotency(CAL, key.key, T0 + DAY), null, 'expired after 24 h')
    t.equal(await store.findIdempotency(OTHER, key.key, T0), null, 'keys are per calendar')
    t.equal(await store.findIdempotency(CAL, 'key_unknown', T0), null)

    const elsewhere = aCreate(OTHER)
    const inOther = await store.submit({ calendarId: OTHER, ...elsewhere, idempotency: key })
    t.equal(inOther.kind, 'done', 'the same key in another calendar is another key')

    const later = aCreate()
    const laterKey = { ...key, requestHash: 'sha256:later-request', createdAt: T0 + DAY }
    t.strictSame(await store.submit({ calendarId: CAL, ...later, idempotency: laterKey }), {
      kind: 'done',
      value: { job: later.job, event: later.event },
    })
    t.strictSame(await store.getJob(CAL, later.job.id), later.job, 'an expired key is used again')
    t.strictSame(await store.findIdempotency(CAL, key.key, T0 + DAY), { ...laterKey, calendarId: CAL })
  })

  scenario('concurrent submits with one key: one is done, the others replay it', async (t, store) => {
    const key = anIdempotencyWrite({ createdAt: T0 })
    const creates = Array.from({ length: 5 }, () => aCreate())
    const results = await Promise.all(
      creates.map((c) => store.submit({ calendarId: CAL, ...c, idempotency: key })),
    )
    t.equal(results.filter((r) => r.kind === 'done').length, 1)
    t.equal(results.filter((r) => r.kind === 'replay').length, 4)
    const stored = await Promise.all(creates.map((c) => store.getJob(CAL, c.job.id)))
    t.equal(stored.filter((job) => job !== null).length, 1, 'one job stored')
  })

  scenario(
    'many concurrent submits (new keys, no key, a stored key, an expired key, a duplicate id): each its own answer',
    async (t, store) => {
      const stored = anIdempotencyWrite({ createdAt: T0 })
      const expired = anIdempotencyWrite({ createdAt: T0 - DAY })
      await store.submit({ calendarId: CAL, ...aCreate(), idempotency: stored })
      await store.submit({ calendarId: CAL, ...aCreate(), idempotency: expired })
      const taken = aCreate()
      await store.submit({ calendarId: CAL, ...taken })

      const keyed = Array.from({ length: 20 }, () => aCreate())
      const keys = keyed.map(() => anIdempotencyWrite({ createdAt: T0 }))
      const keyless = Array.from({ length: 20 }, () => aCreate())
      const replayed = aCreate()
      const renewed = aCreate()
      const duplicate = { ...aCreate(), event: { ...anEvent(), id: taken.event.id } }
      const results = await Promise.allSettled([
        ...keyed.map((c, i) => store.submit({ calendarId: CAL, ...c, idempotency: keys[i] })),
        ...keyless.map((c) => store.submit({ calendarId: CAL, ...c })),
        store.submit({ calendarId: CAL, ...replayed, idempotency: { ...stored, createdAt: T0 + HOUR } }),
        store.submit({ calendarId: CAL, ...renewed, idempotency: { ...expired, createdAt: T0 + HOUR } }),
      ])
      const [renewedResult] = results.splice(-1)
      const [replayedResult] = results.splice(-1)
      t.ok(
        results.every((r) => r.status === 'fulfilled' && r.value.kind === 'done'),
        'every new key and every keyless submit is done',
      )
      t.strictSame(
        await Promise.all([...keyed, ...keyless].map((c) => store.getEvent(CAL, c.event.id))),
        [...keyed, ...keyless].map((c) => c.event),
        'their events are stored',
      )
      t.strictSame(
        await Promise.all([...keyed, ...keyless].map((c) => store.getJob(CAL, c.job.id))),
        [...keyed, ...keyless].map((c) => c.job),
        'their jobs are stored',
      )
      t.strictSame(
        replayedResult,
        { status: 'fulfilled', value: { kind: 'replay', record: { ...stored, calendarId: CAL } } },
        'a stored key replays',
      )
      t.equal(await store.getJob(CAL, replayed.job.id), null, 'and stores nothing')
      t.equal(
        renewedResult?.status === 'fulfilled' && renewedResult.value.kind,
        'done',
        'an expired key is claimed again',
      )
      t.strictSame(await store.getJob(CAL, renewed.job.id), renewed.job)

      const neighbours = Array.from({ length: 5 }, () => aCreate())
      const [duplicateResult, ...others] = await Promise.allSettled([
        store.submit({ calendarId: CAL, ...duplicate, job: { ...duplicate.job, eventId: taken.event.id } }),
        ...neighbours.map((c) => store.submit({ calendarId: CAL, ...c })),
      ])
      t.equal(duplicateResult?.status, 'rejected', 'a duplicate event id fails alone')
      t.equal(await store.getJob(CAL, duplicate.job.id), null)
      t.ok(
        others.every((r) => r.status === 'fulfilled' && r.value.kind === 'done'),
        'the submits made with it are done',
      )
    },
  )

  scenario('concurrent getEvent calls each answer their own event, or null', async (t, store) => {
    const created = Array.from({ length: 12 }, () => aCreate())
    for (const c of created) await store.submit({ calendarId: CAL, ...c })
    const asked = [
      ...created.map((c) => ({ calendarId: CAL, id: c.event.id })),
      { calendarId: OTHER, id: created[0]?.event.id as string },
      { calendarId: CAL, id: 'evt_missing' },
      { calendarId: CAL, id: created[3]?.event.id as string },
    ]
    const answers = await Promise.all(asked.map((key) => store.getEvent(key.calendarId, key.id)))
    t.strictSame(answers, [...created.map((c) => c.event), null, null, created[3]?.event])
  })

  scenario('listEvents orders by start (unplaced last, by creation) and by update', async (t, store) => {
    const late = anEvent({ createdAt: T0 - 3 * HOUR, updatedAt: T0 - HOUR })
    const early = anEvent({ createdAt: T0 - 4 * HOUR, updatedAt: T0 - HOUR })
    const second = aScheduledEvent(T0 + 2 * HOUR, 60, { updatedAt: T0 - 3 * HOUR })
    const first = aScheduledEvent(T0 + HOUR, 60, { updatedAt: T0 - 2 * HOUR })
    const tieLater = anEvent({
      status: 'cancelled',
      start: T0 + HOUR,
      end: T0 + 2 * HOUR,
      createdAt: T0 - 2 * DAY,
      updatedAt: T0 - 4 * HOUR,
    })
    const tieEarlier = anEvent({
      status: 'cancelled',
      start: T0 + HOUR,
      end: T0 + 2 * HOUR,
      createdAt: T0 - 3 * DAY,
      updatedAt: T0 - 4 * HOUR,
    })
    await seed(store, [late, early, second, first, tieLater, tieEarlier, anEvent({ calendarId: OTHER })])

    const byStart = await store.listEvents(CAL, { order: 'start', limit: 50, now: T0 })
    t.strictSame(
      ids(byStart.items),
      ids([tieEarlier, tieLater, first, second, early, late]),
      'by start, then creation; unplaced last by creation',
    )
    t.equal(byStart.nextCursor, null)
    t.strictSame(byStart.items[0], tieEarlier, 'items are whole records')

    const byUpdate = await store.listEvents(CAL, { order: 'updated', limit: 50, now: T0 })
    t.strictSame(
      ids(byUpdate.items),
      ids([tieLater, tieEarlier, second, first, late, early]),
      'by update, then id',
    )
    t.equal(byUpdate.nextCursor, null)
  })

  scenario('listEvents filters by time, derived status and update, in both orders', async (t, store) => {
    const now = T0
    const events: EventRecord[] = [
      aScheduledEvent(now - 3 * HOUR, 60, { updatedAt: now - 5 * HOUR }), // completed by the clock
      aScheduledEvent(now - 30 * MINUTE, 60, { updatedAt: now - 4 * HOUR }), // in progress
      aScheduledEvent(now + HOUR, 60, { updatedAt: now - 3 * HOUR }),
      aScheduledEvent(now + 2 * HOUR, 30, { updatedAt: now - 3 * HOUR }),
      aScheduledEvent(now + 5 * HOUR, 90, { updatedAt: now - 2 * HOUR }),
      anEvent({ status: 'completed', start: now - 6 * HOUR, end: now - 5 * HOUR, updatedAt: now - HOUR }),
      anEvent({ status: 'completed', start: now + 3 * HOUR, end: now + 4 * HOUR, updatedAt: now - HOUR }),
      anEvent({
        status: 'cancelled',
        start: now + HOUR,
        end: now + 2 * HOUR,
        updatedAt: now - 90 * MINUTE,
      }),
      anEvent({ status: 'failed', updatedAt: now - 2 * HOUR }),
      anEvent({
        status: 'failed',
        placement: 'fixed',
        requestedStart: now + HOUR,
        updatedAt: now - 2 * HOUR,
      }),
      anEvent({ createdAt: now - 2 * DAY, updatedAt: now - 2 * DAY }),
      anEvent({ createdAt: now - 2 * DAY, updatedAt: now - 2 * DAY }),
      anEvent({ createdAt: now - 3 * DAY, updatedAt: now - 30 * MINUTE }),
    ]
    await seed(store, [...events, aScheduledEvent(now + HOUR, 60, { calendarId: OTHER })])

    const inProgress = await store.listEvents(CAL, {
      order: 'start',
      limit: 50,
      now,
      statuses: ['in_progress'],
    })
    t.strictSame(ids(inProgress.items), [events[1]!.id], 'in_progress is derived from the clock')
    const completed = await store.listEvents(CAL, {
      order: 'start',
      limit: 50,
      now,
      statuses: ['completed'],
    })
    t.strictSame(ids(completed.items), [events[5]!.id, events[0]!.id, events[6]!.id])
    const later = await store.listEvents(CAL, {
      order: 'start',
      limit: 50,
      now: now + 3 * HOUR,
      statuses: ['scheduled'],
    })
    t.strictSame(ids(later.items), [events[4]!.id], 'statuses follow the given now')

    const filters: Omit<EventListQuery, 'order' | 'limit'>[] = [
      { now },
      { now, from: now },
      { now, to: now + HOUR },
      { now, from: now + HOUR, to: now + 2 * HOUR },
      { now, from: now + 90 * MINUTE, to: now + 100 * MINUTE },
      { now, statuses: ['scheduled'] },
      { now, statuses: ['in_progress'] },
      { now, statuses: ['completed'] },
      { now, statuses: ['pending'] },
      { now, statuses: ['cancelled', 'failed'] },
      { now, statuses: ['scheduled', 'in_progress'] },
      { now: now + DAY, statuses: ['completed'] },
      { now: now - DAY, statuses: ['scheduled'] },
      { now, updatedSince: now - 2 * HOUR },
      { now, updatedSince: now - 3 * HOUR, statuses: ['scheduled', 'completed'] },
      { now, from: now - 4 * HOUR, to: now + 4 * HOUR, statuses: ['completed', 'scheduled', 'cancelled'] },
      { now, from: now, updatedSince: now - 3 * HOUR, statuses: ['scheduled'] },
    ]
    for (const filter of filters) {
      for (const order of ['start', 'updated'] as const) {
        for (const limit of [2, 50]) {
          const query = { ...filter, order, limit }
          const { items } = await listAll(t, store, CAL, query)
          t.strictSame(ids(items), expectedIds(events, query), `${JSON.stringify(query)}`)
        }
      }
    }
  })

  scenario('paging with limit 7 visits each of 60 events exactly once, in order', async (t, store) => {
    const events: EventRecord[] = []
    for (let i = 0; i < 20; i++) {
      events.push(
        aScheduledEvent(T0 + i * HOUR, 45, {
          createdAt: T0 - (i % 4) * HOUR,
          updatedAt: T0 - (i % 5) * MINUTE,
        }),
      )
    }
    for (let i = 0; i < 10; i++) {
      events.push(
        anEvent({
          status: 'cancelled',
          start: T0 + (i % 3) * HOUR,
          end: T0 + (i % 3) * HOUR + HOUR,
          createdAt: T0 - (i % 2) * HOUR,
          updatedAt: T0 - (i % 5) * MINUTE,
        }),
      )
    }
    for (let i = 0; i < 30; i++) {
      events.push(anEvent({ createdAt: T0 - (i % 3) * HOUR, updatedAt: T0 - (i % 5) * MINUTE }))
    }
    await seed(store, events)

    for (const order of ['start', 'updated'] as const) {
      const query = { order, limit: 7, now: T0 }
      const { items, pages } = await listAll(t, store, CAL, query)
      t.equal(pages, 9, `${order}: ceil(60 / 7) pages`)
      t.equal(new Set(ids(items)).size, 60, `${order}: every event once`)
      t.strictSame(ids(items), expectedIds(events, query), `${order}: in order`)
    }
  })

  scenario('a cursor from garbage or from the other order is refused', async (t, store) => {
    await seed(store, [anEvent(), anEvent(), anEvent()])
    const page = await store.listEvents(CAL, { order: 'updated', limit: 1, now: T0 })
    t.type(page.nextCursor, 'string')
    await rejectsWith(
      t,
      store.listEvents(CAL, { order: 'start', limit: 1, now: T0, cursor: page.nextCursor ?? '' }),
      InvalidCursorError,
    )
    for (const cursor of [
      'not a cursor',
      'abc',
      '',
      'eyJvIjoicyJ9',
      Buffer.from('[1,2]').toString('base64url'),
    ]) {
      await rejectsWith(
        t,
        store.listEvents(CAL, { order: 'start', limit: 1, now: T0, cursor }),
        InvalidCursorError,
      )
    }
  })

  scenario('occupying answers stored scheduled events overlapping a range, by start', async (t, store) => {
    const a = aScheduledEvent(T0, 60)
    const b = aScheduledEvent(T0 + HOUR, 60)
    const c = aScheduledEvent(T0 + 3 * HOUR, 60)
    const elsewhere = aScheduledEvent(T0 + HOUR, 60, { calendarId: OTHER })
    await seed(store, [
      c,
      a,
      b,
      anEvent({ status: 'cancelled', start: T0 + HOUR, end: T0 + 2 * HOUR }),
      anEvent({ status: 'completed', start: T0 + 2 * HOUR, end: T0 + 3 * HOUR }),
      anEvent(),
      elsewhere,
    ])
    t.strictSame(await store.occupying(CAL, { start: T0 + HOUR, end: T0 + 3 * HOUR }), [b], 'half-open')
    t.strictSame(await store.occupying(CAL, { start: T0 + 30 * MINUTE, end: T0 + 210 * MINUTE }), [a, b, c])
    t.strictSame(await store.occupying(CAL, { start: T0 + 2 * HOUR, end: T0 + 3 * HOUR }), [])
    t.strictSame(ids(await store.occupying(OTHER, { start: T0, end: T0 + DAY })), [elsewhere.id])
  })

  scenario('startJob activates a queued job once and answers others unchanged', async (t, store) => {
    const { job, event } = aCreate()
    await store.submit({ calendarId: CAL, job, event })
    t.strictSame(await store.startJob(CAL, job.id), { ...job, state: 'active' })
    t.strictSame(await store.startJob(CAL, job.id), { ...job, state: 'active' }, 'already active')
    await store.applyPlan(aPlan(job))
    const finished = await store.getJob(CAL, job.id)
    t.equal(finished?.state, 'completed')
    t.strictSame(await store.startJob(CAL, job.id), finished, 'a finished job is answered as it is')
    t.equal(await store.startJob(CAL, 'job_unknown'), null)
    t.equal(await store.startJob(OTHER, job.id), null)
  })

  scenario(
    'unfinishedJobs answers queued and active jobs created before a time, oldest first',
    async (t, store) => {
      const queued = aJob({ createdAt: T0 - 3 * HOUR })
      const active = aJob({ createdAt: T0 - 2 * HOUR })
      const elsewhere = aJob({ calendarId: OTHER, createdAt: T0 - 150 * MINUTE })
      const done = aJob({ createdAt: T0 - HOUR })
      const recent = aJob({ createdAt: T0 })
      for (const job of [recent, done, active, elsewhere, queued]) {
        await store.submit({ calendarId: job.calendarId, job })
      }
      await store.startJob(CAL, active.id)
      await store.startJob(CAL, done.id)
      await store.applyPlan(aPlan(done))
      t.strictSame(ids(await store.unfinishedJobs(T0, 10)), [queued.id, elsewhere.id, active.id])
      t.strictSame(ids(await store.unfinishedJobs(T0, 2)), [queued.id, elsewhere.id])
      t.strictSame(ids(await store.unfinishedJobs(T0 + 1, 10)), [
        queued.id,
        elsewhere.id,
        active.id,
        recent.id,
      ])
      t.equal((await store.unfinishedJobs(T0, 10))[2]?.state, 'active')
    },
  )
}
