import type { EventRecord, EventStatus, Instant, JobRecord } from '@scheduler/core'
import type { Test } from 'tap'
import type { TcpProxy } from '../../../test/helpers/tcp-proxy.js'
import {
  type EventListQuery,
  EventNotFoundError,
  InvalidCursorError,
  OverlapError,
  StaleJobError,
  type Store,
} from '../src/port.js'
import {
  aCalendar,
  aDelivery,
  aJob,
  aMessage,
  aMessageOf,
  anAttachment,
  anEvent,
  anIdempotencyWrite,
  aPlan,
  aScheduledEvent,
  aWebhook,
  DAY,
  HOUR,
  MINUTE,
  T0,
  uniqueId,
} from './builders.js'
import { keysAndTimeoutsScenarios } from './conformance-keys-timeouts.js'
import { feedTokenScenarios } from './feed-token-conformance.js'
import { jobFailureScenarios } from './job-failure-scenarios.js'
import { placementScenarios } from './placement-conformance.js'
import { syncScenarios } from './sync-conformance.js'

export interface OpenedStore {
  store: Store
  /** Closes the store and removes everything it stored (a fresh database per call). */
  cleanup: () => Promise<void>
  /** With `OpenOptions.proxy`: the TCP hop between the store and its server. */
  proxy?: TcpProxy
}

export interface OpenOptions {
  /**
   * Connect through a TCP proxy in front of the server (`test/helpers/tcp-proxy.ts`), made for this test
   * (its teardown cuts it). An adapter whose server cannot be proxied answers no `proxy`.
   */
  proxy?: Test
  /** The store's operation timeout in ms (`openStore`'s `timeoutMs`). */
  timeoutMs?: number
}

const CAL = 'default'
const OTHER = 'other'

/**
 * The behaviour every `Store` adapter must have. Each subtest calls `open` for an empty store of its
 * own and `cleanup` in its teardown.
 */
export function conformanceSuite(
  t: Test,
  name: string,
  open: (options?: OpenOptions) => Promise<OpenedStore>,
) {
  return t.test(`${name} store conformance`, async (t) => {
    const scenario = (title: string, body: (t: Test, store: Store) => Promise<void>) =>
      t.test(title, async (t) => {
        const { store, cleanup } = await open()
        t.teardown(cleanup)
        await body(t, store)
      })

    scenario('answers pings and names its kind', async (t, store) => {
      await t.resolves(store.ping())
      t.ok(store.kind === 'postgres' || store.kind === 'mongodb')
    })

    scenario('calendar settings: ensure keeps the stored ones, put replaces them', async (t, store) => {
      t.equal(await store.getCalendar(CAL), null)
      const initial = aCalendar()
      t.strictSame(await store.ensureCalendar(initial), initial)
      t.strictSame(await store.ensureCalendar(aCalendar({ bufferMinutes: 30 })), initial, 'not overwritten')

      const changed = aCalendar({
        timezone: 'Europe/Berlin',
        bufferMinutes: 10,
        blackouts: [{ start: T0, end: T0 + HOUR, reason: 'Offsite' }],
      })
      t.strictSame(await store.putCalendar(changed), { kind: 'done', value: changed })
      t.strictSame(await store.getCalendar(CAL), changed)
      t.equal(await store.getCalendar(OTHER), null, 'another calendar is untouched')

      const key = anIdempotencyWrite({ createdAt: T0, response: { status: 200, body: { slotMinutes: 30 } } })
      const put = aCalendar({ slotMinutes: 30 })
      t.strictSame(await store.putCalendar(put, key), { kind: 'done', value: put })
      const replay = await store.putCalendar(aCalendar({ slotMinutes: 5 }), {
        ...key,
        requestHash: 'sha256:another-request',
        createdAt: T0 + MINUTE,
      })
      t.strictSame(replay, { kind: 'replay', record: { ...key, calendarId: CAL } })
      t.equal((await store.getCalendar(CAL))?.slotMinutes, 30, 'a replay writes nothing')
    })

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

    scenario('createWebhook with an idempotency key replays', async (t, store) => {
      const key = anIdempotencyWrite({ createdAt: T0, response: { status: 201, body: { id: 'whk_1' } } })
      const webhook = aWebhook()
      t.strictSame(await store.createWebhook(webhook, key), { kind: 'done', value: webhook })
      const again = aWebhook()
      t.strictSame(await store.createWebhook(again, { ...key, createdAt: T0 + MINUTE }), {
        kind: 'replay',
        record: { ...key, calendarId: CAL },
      })
      t.equal(await store.getWebhook(CAL, again.id), null)
      t.strictSame(await store.listWebhooks(CAL), [webhook])
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

    scenario(
      'applyPlan on a finished job rejects with StaleJobError and writes nothing',
      async (t, store) => {
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
      },
    )

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
          return store.applyPlan(
            aPlan(job, { upserts: [event], messages: [aMessage({ eventId: event.id })] }),
          )
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

    scenario('busy times: replaced per attendee, matched case-insensitively', async (t, store) => {
      const morning = { start: T0, end: T0 + HOUR }
      const noon = { start: T0 + 3 * HOUR, end: T0 + 4 * HOUR }
      t.strictSame(await store.putBusy(CAL, 'Ann@Example.com', [noon, morning]), {
        kind: 'done',
        value: [noon, morning],
      })
      t.strictSame(byStart(await store.getBusy(CAL, 'ann@example.com')), [morning, noon])
      t.strictSame(byStart(await store.getBusy(CAL, 'ANN@EXAMPLE.COM')), [morning, noon])
      t.strictSame(await store.getBusy(OTHER, 'ann@example.com'), [])

      const bob = { start: T0 + 30 * MINUTE, end: T0 + 90 * MINUTE }
      await store.putBusy(CAL, 'bob@example.com', [bob])
      await store.putBusy(OTHER, 'ann@example.com', [{ start: T0, end: T0 + DAY }])
      t.strictSame(
        byStart(
          await store.busyOverlapping(CAL, ['ANN@example.com', 'bob@example.com'], {
            start: T0,
            end: T0 + 3 * HOUR,
          }),
        ),
        [morning, bob],
        'touching intervals do not overlap',
      )
      t.strictSame(await store.busyOverlapping(CAL, ['carol@example.com'], { start: T0, end: T0 + DAY }), [])
      t.strictSame(await store.busyOverlapping(CAL, [], { start: T0, end: T0 + DAY }), [])

      await store.putBusy(CAL, 'ann@example.com', [noon])
      t.strictSame(await store.getBusy(CAL, 'Ann@Example.com'), [noon], 'replaced')
      await store.putBusy(CAL, 'ann@example.com', [])
      t.strictSame(await store.getBusy(CAL, 'ann@example.com'), [], 'cleared')
      t.strictSame(await store.getBusy(CAL, 'bob@example.com'), [bob], 'other attendees untouched')
    })

    scenario(
      'putBusy with an idempotency key records it and replays it, writing nothing more',
      async (t, store) => {
        const morning = { start: T0, end: T0 + HOUR }
        const key = anIdempotencyWrite({
          createdAt: T0,
          response: { status: 200, body: { email: 'ann@example.com', busy: [] } },
        })
        t.strictSame(await store.putBusy(CAL, 'Ann@Example.com', [morning], key), {
          kind: 'done',
          value: [morning],
        })
        t.strictSame(await store.findIdempotency(CAL, key.key, T0 + MINUTE), { ...key, calendarId: CAL })

        const replay = await store.putBusy(CAL, 'ann@example.com', [], {
          ...key,
          requestHash: 'sha256:another-request',
          createdAt: T0 + MINUTE,
        })
        t.strictSame(replay, { kind: 'replay', record: { ...key, calendarId: CAL } })
        t.strictSame(await store.getBusy(CAL, 'ann@example.com'), [morning], 'a replay writes nothing')

        const later = { ...key, requestHash: 'sha256:later-request', createdAt: T0 + DAY }
        t.strictSame(await store.putBusy(CAL, 'ann@example.com', [], later), { kind: 'done', value: [] })
        t.strictSame(await store.getBusy(CAL, 'ann@example.com'), [], 'an expired key is recorded anew')
        t.strictSame(await store.findIdempotency(CAL, key.key, T0 + DAY), { ...later, calendarId: CAL })
      },
    )

    scenario('attachments: put, list oldest first, get the bytes back, delete', async (t, store) => {
      const event = anEvent()
      const sibling = anEvent()
      const elsewhere = anEvent({ calendarId: OTHER, id: event.id })
      await seed(store, [event, sibling, elsewhere])

      // Every byte value, and more than one GridFS chunk (255 KiB).
      const binary = Buffer.alloc(600 * 1024)
      for (let i = 0; i < binary.length; i++) binary[i] = (i * 7 + (i >> 8)) % 256
      const newer = anAttachment(event, binary, {
        createdAt: T0 + MINUTE,
        filename: 'Résumé “final”.pdf',
        contentType: 'application/pdf',
      })
      const older = anAttachment(event, undefined, { createdAt: T0 })
      const empty = anAttachment(event, Buffer.alloc(0), {
        createdAt: T0 + 2 * MINUTE,
        filename: 'empty.bin',
      })
      const ofSibling = anAttachment(sibling)
      const inOther = anAttachment(elsewhere)
      for (const { meta, bytes } of [newer, older, empty, ofSibling, inOther]) {
        t.strictSame(await store.putAttachment(meta, bytes), { kind: 'done', value: meta })
      }

      t.strictSame(await store.listAttachments(CAL, event.id), [older.meta, newer.meta, empty.meta])
      t.strictSame(await store.listAttachments(CAL, sibling.id), [ofSibling.meta])
      t.strictSame(await store.listAttachments(OTHER, event.id), [inOther.meta], 'per calendar')
      t.strictSame(await store.listAttachments(CAL, 'evt_unknown'), [])

      for (const { meta, bytes } of [newer, older, empty]) {
        const got = await store.getAttachment(CAL, event.id, meta.id)
        t.strictSame(got?.meta, meta, `${meta.filename}: its record`)
        t.ok(got?.bytes.equals(bytes), `${meta.filename}: its bytes`)
      }
      t.equal(await store.getAttachment(CAL, sibling.id, newer.meta.id), null, 'not under another event')
      t.equal(await store.getAttachment(OTHER, event.id, newer.meta.id), null, 'not in another calendar')
      t.equal(await store.getAttachment(CAL, event.id, 'att_unknown'), null)

      const notFound = { kind: 'done', value: false }
      t.strictSame(
        await store.deleteAttachment(CAL, sibling.id, newer.meta.id),
        notFound,
        'not under that event',
      )
      t.strictSame(
        await store.deleteAttachment(OTHER, event.id, newer.meta.id),
        notFound,
        'not in that calendar',
      )
      t.strictSame(await store.deleteAttachment(CAL, event.id, newer.meta.id), { kind: 'done', value: true })
      t.strictSame(await store.deleteAttachment(CAL, event.id, newer.meta.id), notFound, 'already gone')
      t.equal(await store.getAttachment(CAL, event.id, newer.meta.id), null)
      t.strictSame(await store.listAttachments(CAL, event.id), [older.meta, empty.meta])
      t.strictSame(
        await store.listAttachments(OTHER, event.id),
        [inOther.meta],
        'the other calendar keeps its own',
      )
    })

    scenario('putAttachment refuses an unknown event with EventNotFoundError', async (t, store) => {
      const elsewhere = anEvent({ calendarId: OTHER })
      await seed(store, [elsewhere])
      const unknown = anAttachment(anEvent())
      await rejectsWith(t, store.putAttachment(unknown.meta, unknown.bytes), EventNotFoundError)
      const wrongCalendar = anAttachment({ id: elsewhere.id, calendarId: CAL })
      await rejectsWith(t, store.putAttachment(wrongCalendar.meta, wrongCalendar.bytes), EventNotFoundError)
      t.strictSame(await store.listAttachments(CAL, elsewhere.id), [], 'nothing stored')
      t.strictSame(await store.listAttachments(OTHER, elsewhere.id), [])

      const event = anEvent()
      await seed(store, [event])
      const lying = anAttachment(event, Buffer.from('four'), { size: 5 })
      await t.rejects(store.putAttachment(lying.meta, lying.bytes), /says 5 bytes but has 4/)
      t.strictSame(await store.listAttachments(CAL, event.id), [], 'a record that misdescribes its bytes')
    })

    scenario('putAttachment with an idempotency key replays it and stores nothing more', async (t, store) => {
      const event = anEvent()
      await seed(store, [event])
      const first = anAttachment(event)
      const key = anIdempotencyWrite({
        createdAt: T0,
        response: { status: 201, body: { id: first.meta.id } },
      })
      t.strictSame(await store.putAttachment(first.meta, first.bytes, key), {
        kind: 'done',
        value: first.meta,
      })
      const again = anAttachment(event)
      t.strictSame(await store.putAttachment(again.meta, again.bytes, { ...key, createdAt: T0 + MINUTE }), {
        kind: 'replay',
        record: { ...key, calendarId: CAL },
      })
      t.strictSame(await store.listAttachments(CAL, event.id), [first.meta], 'the replay stored nothing')
      t.strictSame(await store.findIdempotency(CAL, key.key, T0 + MINUTE), { ...key, calendarId: CAL })

      const missing = anAttachment(anEvent())
      const otherKey = anIdempotencyWrite({ createdAt: T0 })
      await rejectsWith(t, store.putAttachment(missing.meta, missing.bytes, otherKey), EventNotFoundError)
      t.equal(await store.findIdempotency(CAL, otherKey.key, T0), null, 'a refused write records no key')
    })

    scenario('deleteAttachment with an idempotency key records it with the deletion', async (t, store) => {
      const event = anEvent()
      await seed(store, [event])
      const first = anAttachment(event, undefined, { createdAt: T0 })
      const second = anAttachment(event, undefined, { createdAt: T0 + MINUTE })
      for (const { meta, bytes } of [first, second]) await store.putAttachment(meta, bytes)

      const key = anIdempotencyWrite({ createdAt: T0, response: { status: 204, body: null } })
      t.strictSame(await store.deleteAttachment(CAL, event.id, first.meta.id, key), {
        kind: 'done',
        value: true,
      })
      t.strictSame(await store.findIdempotency(CAL, key.key, T0 + MINUTE), { ...key, calendarId: CAL })

      const again = { ...key, createdAt: T0 + MINUTE }
      t.strictSame(await store.deleteAttachment(CAL, event.id, first.meta.id, again), {
        kind: 'replay',
        record: { ...key, calendarId: CAL },
      })
      const another = { ...key, requestHash: 'sha256:another-request', createdAt: T0 + MINUTE }
      t.strictSame(await store.deleteAttachment(CAL, event.id, second.meta.id, another), {
        kind: 'replay',
        record: { ...key, calendarId: CAL },
      })
      t.strictSame(await store.listAttachments(CAL, event.id), [second.meta], 'a replay deletes nothing')

      const unused = anIdempotencyWrite({ createdAt: T0, response: { status: 204, body: null } })
      t.strictSame(await store.deleteAttachment(CAL, event.id, 'att_unknown', unused), {
        kind: 'done',
        value: false,
      })
      t.equal(await store.findIdempotency(CAL, unused.key, T0), null, 'nothing deleted, no key recorded')
      t.strictSame(await store.deleteAttachment(CAL, event.id, second.meta.id, unused), {
        kind: 'done',
        value: true,
      })
      t.strictSame(await store.listAttachments(CAL, event.id), [])
    })

    scenario('deleting an event in a plan deletes its attachments, and only its', async (t, store) => {
      const doomed = anEvent()
      const kept = anEvent()
      await seed(store, [doomed, kept])
      const big = anAttachment(doomed, Buffer.alloc(300 * 1024, 1))
      const small = anAttachment(doomed)
      const other = anAttachment(kept)
      for (const { meta, bytes } of [big, small, other]) await store.putAttachment(meta, bytes)

      const job = aJob({ type: 'delete', eventId: doomed.id, payload: { type: 'delete' } })
      await store.submit({ calendarId: CAL, job })
      await store.applyPlan(aPlan(job, { deletions: [doomed.id] }))

      t.equal(await store.getEvent(CAL, doomed.id), null)
      t.strictSame(await store.listAttachments(CAL, doomed.id), [])
      t.equal(await store.getAttachment(CAL, doomed.id, big.meta.id), null)
      t.equal(await store.getAttachment(CAL, doomed.id, small.meta.id), null)
      t.strictSame(await store.deleteAttachment(CAL, doomed.id, small.meta.id), {
        kind: 'done',
        value: false,
      })
      t.strictSame(await store.listAttachments(CAL, kept.id), [other.meta], 'another event keeps its own')
      const late = anAttachment(doomed)
      await rejectsWith(
        t,
        store.putAttachment(late.meta, late.bytes),
        EventNotFoundError,
        'none can be added',
      )
    })

    scenario('an upload racing the deletion of its event leaves no attachment behind', async (t, store) => {
      for (let round = 0; round < 5; round++) {
        const event = anEvent()
        await seed(store, [event])
        const job = aJob({ type: 'delete', eventId: event.id, payload: { type: 'delete' } })
        await store.submit({ calendarId: CAL, job })
        const upload = anAttachment(event, Buffer.alloc(64 * 1024, round))
        const [put, plan] = await Promise.allSettled([
          store.putAttachment(upload.meta, upload.bytes),
          store.applyPlan(aPlan(job, { deletions: [event.id] })),
        ])
        t.equal(plan.status, 'fulfilled', 'the plan applies')
        if (put.status === 'rejected')
          t.ok(put.reason instanceof EventNotFoundError, 'a refused upload says why')
        t.strictSame(await store.listAttachments(CAL, event.id), [], `round ${round}: nothing left`)
        t.equal(await store.getAttachment(CAL, event.id, upload.meta.id), null)
      }
    })

    scenario('webhooks: create, list per calendar, get, delete', async (t, store) => {
      const first = aWebhook({
        createdAt: T0,
        events: ['event.failed', 'event.rescheduled'],
        description: 'ops',
      })
      const second = aWebhook({ createdAt: T0 + MINUTE })
      const elsewhere = aWebhook({ calendarId: OTHER })
      for (const webhook of [first, second, elsewhere]) await store.createWebhook(webhook)
      t.strictSame(byId(await store.listWebhooks(CAL)), byId([first, second]))
      t.strictSame(await store.getWebhook(CAL, first.id), first)
      t.equal(await store.getWebhook(OTHER, first.id), null)
      const notFound = { kind: 'done', value: false }
      t.strictSame(await store.deleteWebhook(OTHER, first.id), notFound, 'not in that calendar')
      t.strictSame(await store.deleteWebhook(CAL, first.id), { kind: 'done', value: true })
      t.strictSame(await store.deleteWebhook(CAL, first.id), notFound, 'already gone')
      t.equal(await store.getWebhook(CAL, first.id), null)
      t.strictSame(await store.listWebhooks(CAL), [second])
    })

    scenario('deleteWebhook with an idempotency key records it with the deletion', async (t, store) => {
      const first = aWebhook({ createdAt: T0 })
      const second = aWebhook({ createdAt: T0 + MINUTE })
      for (const webhook of [first, second]) await store.createWebhook(webhook)

      const key = anIdempotencyWrite({ createdAt: T0, response: { status: 204, body: null } })
      t.strictSame(await store.deleteWebhook(CAL, first.id, key), { kind: 'done', value: true })
      t.strictSame(await store.findIdempotency(CAL, key.key, T0 + MINUTE), { ...key, calendarId: CAL })

      t.strictSame(await store.deleteWebhook(CAL, first.id, { ...key, createdAt: T0 + MINUTE }), {
        kind: 'replay',
        record: { ...key, calendarId: CAL },
      })
      const another = { ...key, requestHash: 'sha256:another-request', createdAt: T0 + MINUTE }
      t.strictSame(await store.deleteWebhook(CAL, second.id, another), {
        kind: 'replay',
        record: { ...key, calendarId: CAL },
      })
      t.strictSame(await store.listWebhooks(CAL), [second], 'a replay deletes nothing')

      const unused = anIdempotencyWrite({ createdAt: T0, response: { status: 204, body: null } })
      t.strictSame(await store.deleteWebhook(CAL, 'whk_unknown', unused), { kind: 'done', value: false })
      t.equal(await store.findIdempotency(CAL, unused.key, T0), null, 'nothing deleted, no key recorded')
      t.strictSame(await store.deleteWebhook(OTHER, second.id, unused), { kind: 'done', value: false })
      t.equal(await store.findIdempotency(OTHER, unused.key, T0), null)
      t.strictSame(await store.deleteWebhook(CAL, second.id, unused), { kind: 'done', value: true })
      t.strictSame(await store.listWebhooks(CAL), [])
    })

    scenario(
      'concurrent deletions with the same key: one deletes, the others replay it',
      async (t, store) => {
        for (let round = 0; round < 5; round++) {
          const webhook = aWebhook({ createdAt: T0 })
          await store.createWebhook(webhook)
          const key = anIdempotencyWrite({ createdAt: T0, response: { status: 204, body: null } })
          const results = await Promise.all(
            Array.from({ length: 3 }, () => store.deleteWebhook(CAL, webhook.id, key)),
          )
          t.strictSame(
            results.filter((result) => result.kind === 'done'),
            [{ kind: 'done', value: true }],
            `round ${round}: deleted once`,
          )
          t.strictSame(
            results.filter((result) => result.kind === 'replay'),
            [
              { kind: 'replay', record: { ...key, calendarId: CAL } },
              { kind: 'replay', record: { ...key, calendarId: CAL } },
            ],
            `round ${round}: the others replay`,
          )
        }
      },
    )

    scenario('outbox: undispatched oldest first, marked dispatched, read by id', async (t, store) => {
      const messages = [
        aMessage({ createdAt: T0 + 2 * MINUTE, type: 'event.failed' }),
        aMessage({ createdAt: T0, calendarId: OTHER }),
        aMessage({
          createdAt: T0 + MINUTE,
          data: { event: { id: 'evt_1', title: 'Ünïcode ✓' }, sequence: 3 },
        }),
      ]
      for (const message of messages) {
        const job = aJob({ calendarId: message.calendarId })
        await store.submit({ calendarId: message.calendarId, job })
        await store.applyPlan(aPlan(job, { messages: [message] }))
      }
      const [newest, oldest, middle] = messages as [
        (typeof messages)[0],
        (typeof messages)[0],
        (typeof messages)[0],
      ]
      t.strictSame(await store.undispatchedMessages(10), [oldest, middle, newest])
      t.strictSame(await store.undispatchedMessages(2), [oldest, middle])

      await store.markDispatched([oldest.id, middle.id], T0 + HOUR)
      t.strictSame(await store.undispatchedMessages(10), [newest])
      t.strictSame(await store.getMessage(oldest.id), { ...oldest, dispatchedAt: T0 + HOUR })
      t.strictSame(await store.getMessage(newest.id), newest)
      t.equal(await store.getMessage('msg_unknown'), null)
      await store.markDispatched([], T0)
    })

    scenario('deliveries: newest first per webhook', async (t, store) => {
      const webhookId = uniqueId('whk')
      const deliveries = [
        aDelivery({
          webhookId,
          at: T0,
          attempt: 1,
          status: 'retrying',
          responseStatus: 500,
          error: 'HTTP 500',
        }),
        aDelivery({ webhookId, at: T0 + 2 * MINUTE, attempt: 3, status: 'succeeded' }),
        aDelivery({
          webhookId,
          at: T0 + MINUTE,
          attempt: 2,
          status: 'failed',
          responseStatus: null,
          error: 'timeout',
        }),
        aDelivery({ at: T0 + 3 * MINUTE }),
        aDelivery({ webhookId, calendarId: OTHER, at: T0 + 4 * MINUTE }),
      ]
      for (const delivery of deliveries) await store.recordDelivery(delivery)
      const [first, third, second] = deliveries as [
        (typeof deliveries)[0],
        (typeof deliveries)[0],
        (typeof deliveries)[0],
      ]
      t.strictSame(await store.listDeliveries(CAL, webhookId, 10), [third, second, first])
      t.strictSame(await store.listDeliveries(CAL, webhookId, 2), [third, second])
      t.strictSame(await store.listDeliveries(CAL, 'whk_unknown', 10), [])
    })

    scenario(
      'purgeExpired removes old keys, finished jobs, dispatched messages and deliveries',
      async (t, store) => {
        const before = T0
        const old = T0 - 2 * DAY
        const oldKey = anIdempotencyWrite({ createdAt: old })
        const newKey = anIdempotencyWrite({ createdAt: T0 + 1 })
        const oldFinished = aJob({ createdAt: old })
        const oldQueued = aJob({ createdAt: old })
        const newFinished = aJob({ createdAt: T0 + MINUTE })
        await store.submit({ calendarId: CAL, job: oldFinished, idempotency: oldKey })
        await store.submit({ calendarId: CAL, job: oldQueued })
        await store.submit({ calendarId: CAL, job: newFinished, idempotency: newKey })

        const oldSent = aMessage({ createdAt: old })
        const oldUnsent = aMessage({ createdAt: old + 1 })
        const newSent = aMessage({ createdAt: T0 + MINUTE })
        await store.applyPlan(
          aPlan(oldFinished, { messages: [oldSent, oldUnsent], job: finished(old + MINUTE) }),
        )
        await store.applyPlan(aPlan(newFinished, { messages: [newSent], job: finished(T0 + 2 * MINUTE) }))
        await store.markDispatched([oldSent.id], old + 2 * MINUTE)
        await store.markDispatched([newSent.id], T0 + 3 * MINUTE)

        const webhookId = uniqueId('whk')
        const oldDelivery = aDelivery({ webhookId, at: old })
        const newDelivery = aDelivery({ webhookId, at: T0 + MINUTE })
        await store.recordDelivery(oldDelivery)
        await store.recordDelivery(newDelivery)

        await store.purgeExpired(before)

        t.equal(await store.findIdempotency(CAL, oldKey.key, old + 1), null, 'old key gone')
        t.ok(await store.findIdempotency(CAL, newKey.key, T0 + 2), 'new key kept')
        t.equal(await store.getJob(CAL, oldFinished.id), null, 'old finished job gone')
        t.ok(await store.getJob(CAL, oldQueued.id), 'unfinished job kept')
        t.ok(await store.getJob(CAL, newFinished.id), 'recent job kept')
        t.equal(await store.getMessage(oldSent.id), null, 'old dispatched message gone')
        t.ok(await store.getMessage(oldUnsent.id), 'undispatched message kept')
        t.ok(await store.getMessage(newSent.id), 'recent message kept')
        t.strictSame(await store.listDeliveries(CAL, webhookId, 10), [newDelivery], 'old delivery gone')
      },
    )

    keysAndTimeoutsScenarios(t, scenario, open)
    jobFailureScenarios(scenario)
    feedTokenScenarios(scenario)
    syncScenarios(scenario)
    placementScenarios(scenario)
  })
}

/** An event with every optional field filled, to check that records survive the round trip. */
function aRichEvent(): EventRecord {
  return anEvent({
    title: 'Quarterly review — “Q3”',
    description: 'Agenda:\n1. numbers\n2. plans',
    location: 'Room 4',
    attendees: [
      { email: 'a@example.com', name: 'A', required: true },
      { email: 'b@example.com', required: false },
    ],
    durationMinutes: 45,
    placement: 'auto',
    window: { kind: 'range', notBefore: T0, notAfter: null },
    status: 'failed',
    failure: {
      code: 'NO_SLOT_AVAILABLE',
      message: 'No slot in the window',
      alternatives: [{ start: T0 + DAY, end: T0 + DAY + 45 * MINUTE }],
    },
    attendeeConflicts: ['b@example.com'],
    outsideWorkingHours: true,
    version: 3,
    sequence: 2,
    createdAt: T0 - 2 * DAY + 123,
    updatedAt: T0 - DAY + 456,
  })
}

function aCreate(calendarId = CAL): { job: JobRecord; event: EventRecord } {
  const event = anEvent({ calendarId })
  return { event, job: aJob({ calendarId, eventId: event.id }) }
}

function finished(at: Instant) {
  return { state: 'completed' as const, outcome: { displaced: [] }, error: null, finishedAt: at }
}

async function seed(store: Store, events: EventRecord[]): Promise<void> {
  for (const event of events) {
    await store.submit({
      calendarId: event.calendarId,
      event,
      job: aJob({ calendarId: event.calendarId, eventId: event.id }),
    })
  }
}

async function listAll(
  t: Test,
  store: Store,
  calendarId: string,
  query: EventListQuery,
): Promise<{ items: EventRecord[]; pages: number }> {
  const items: EventRecord[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const page = await store.listEvents(calendarId, { ...query, ...(cursor === undefined ? {} : { cursor }) })
    pages += 1
    t.ok(page.items.length <= query.limit, 'a page holds at most limit items')
    if (page.nextCursor !== null) t.equal(page.items.length, query.limit, 'only the last page is short')
    items.push(...page.items)
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined && pages < 1000)
  return { items, pages }
}

function clientStatus(event: EventRecord, now: Instant): EventStatus {
  if (event.status === 'scheduled' && event.start !== null && event.end !== null) {
    if (event.end <= now) return 'completed'
    if (event.start <= now) return 'in_progress'
  }
  return event.status
}

/** The oracle: which events a query answers, in which order. */
function expectedIds(events: EventRecord[], query: EventListQuery): string[] {
  const matching = events.filter((e) => {
    if (e.calendarId !== CAL) return false
    if (query.from !== undefined || query.to !== undefined) {
      if (e.start === null || e.end === null) return false
      if (query.to !== undefined && !(e.start < query.to)) return false
      if (query.from !== undefined && !(e.end > query.from)) return false
    }
    if (query.statuses !== undefined && !query.statuses.includes(clientStatus(e, query.now))) return false
    if (query.updatedSince !== undefined && e.updatedAt < query.updatedSince) return false
    return true
  })
  return ids(matching.sort(query.order === 'start' ? compareByStart : compareByUpdate))
}

function compareByStart(a: EventRecord, b: EventRecord): number {
  if (a.start !== b.start) {
    if (a.start === null) return 1
    if (b.start === null) return -1
    return a.start - b.start
  }
  return a.createdAt - b.createdAt || compareIds(a.id, b.id)
}

function compareByUpdate(a: EventRecord, b: EventRecord): number {
  return a.updatedAt - b.updatedAt || compareIds(a.id, b.id)
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function ids(records: { id: string }[]): string[] {
  return records.map((r) => r.id)
}

function byId<T extends { id: string }>(records: T[]): T[] {
  return [...records].sort((a, b) => compareIds(a.id, b.id))
}

function byStart<T extends { start: Instant; end: Instant }>(intervals: T[]): T[] {
  return [...intervals].sort((a, b) => a.start - b.start || a.end - b.end)
}

async function rejectsWith(
  t: Test,
  promise: Promise<unknown>,
  errorClass: new (...args: never[]) => Error,
  message = `rejects with ${errorClass.name}`,
): Promise<void> {
  try {
    await promise
    t.fail(`${message}: it resolved`)
  } catch (error) {
    t.ok(error instanceof errorClass, message, { found: error })
  }
}
