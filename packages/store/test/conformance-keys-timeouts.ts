import type { EventRecord } from '@scheduler/core'
import {
  aJob,
  aMessageOf,
  anAttachment,
  anEvent,
  anIdempotencyWrite,
  aPlan,
  aScheduledEvent,
  aWebhook,
  HOUR,
  MINUTE,
  T0,
  uniqueId,
} from '@scheduler/test-helpers/builders'
import type { Test } from 'tap'
import {
  DuplicateIdError,
  OverlapError,
  type Store,
  type StorePlan,
  StoreUnavailableError,
} from '../src/port.js'
import type { OpenedStore, OpenOptions } from './conformance.js'
import { rejectsWith } from './conformance-support.js'

const CAL = 'default'
const OTHER = 'other'
/** The operation timeout of the stalled-server scenario, and the scheduling slack its bound allows. */
const TIMEOUT_MS = 1000
const SLACK_MS = 1500

type Scenario = (title: string, body: (t: Test, store: Store) => Promise<void>) => unknown

/**
 * Issue 12's scenarios: every record kind keyed per calendar, duplicates refused, the overlap rule on
 * every path that stores an occupying event, and a bounded wait on a server that stops answering.
 */
export function keysAndTimeoutsScenarios(
  t: Test,
  scenario: Scenario,
  open: (options?: OpenOptions) => Promise<OpenedStore>,
): void {
  scenario('the same ids in two calendars are two records, for every record kind', async (t, store) => {
    // Events and jobs: the same ids, the same time (the overlap rule is per calendar too).
    const eventId = uniqueId('evt')
    const jobId = uniqueId('job')
    const mine = aScheduledEvent(T0, 60, { id: eventId, title: 'Mine' })
    const theirs = aScheduledEvent(T0, 60, { id: eventId, calendarId: OTHER, title: 'Theirs' })
    const myJob = aJob({ id: jobId, eventId })
    const theirJob = aJob({ id: jobId, calendarId: OTHER, eventId })
    await store.submit({ calendarId: CAL, event: mine, job: myJob })
    await store.submit({ calendarId: OTHER, event: theirs, job: theirJob })
    t.strictSame(await store.getEvent(CAL, eventId), mine)
    t.strictSame(await store.getEvent(OTHER, eventId), theirs)
    t.strictSame(await store.getJob(OTHER, jobId), theirJob)
    t.strictSame(await store.occupying(OTHER, { start: T0, end: T0 + HOUR }), [theirs])
    const listed = await store.listEvents(OTHER, { limit: 10, order: 'start', now: T0 })
    t.strictSame(listed.items, [theirs], 'a list holds its calendar only')

    // A plan of one calendar's job moves that calendar's event and finishes that calendar's job.
    const moved = { ...mine, start: T0 + 2 * HOUR, end: T0 + 3 * HOUR, version: 2, sequence: 1 }
    await store.applyPlan(aPlan(myJob, { upserts: [moved] }))
    t.strictSame(await store.getEvent(CAL, eventId), moved)
    t.strictSame(await store.getEvent(OTHER, eventId), theirs, 'the other calendar keeps its event')
    t.equal((await store.getJob(CAL, jobId))?.state, 'completed')
    t.equal((await store.startJob(OTHER, jobId))?.state, 'active', 'the other job is still to run')
    await store.failJob(OTHER, jobId, { code: 'X', message: 'x' }, T0, aMessageOf)
    t.equal((await store.getJob(OTHER, jobId))?.state, 'failed')
    t.equal((await store.getJob(CAL, jobId))?.state, 'completed', 'failJob touches its calendar only')

    // Attachments: the same event id and attachment id in both calendars.
    const attachmentId = uniqueId('att')
    const myFile = anAttachment(mine, Buffer.from('mine'), { id: attachmentId })
    const theirFile = anAttachment(theirs, Buffer.from('theirs'), { id: attachmentId })
    t.equal((await store.putAttachment(myFile.meta, myFile.bytes)).kind, 'done')
    t.equal((await store.putAttachment(theirFile.meta, theirFile.bytes)).kind, 'done')
    t.strictSame((await store.getAttachment(OTHER, eventId, attachmentId))?.bytes, theirFile.bytes)
    t.strictSame((await store.getAttachment(CAL, eventId, attachmentId))?.bytes, myFile.bytes)

    // A deletion in one calendar deletes that calendar's event and attachments only.
    const deleting = aJob({ calendarId: OTHER, type: 'delete', eventId, payload: { type: 'delete' } })
    await store.submit({ calendarId: OTHER, job: deleting })
    await store.applyPlan(aPlan(deleting, { deletions: [eventId] }))
    t.equal(await store.getEvent(OTHER, eventId), null)
    t.strictSame(await store.getEvent(CAL, eventId), moved, 'the same id elsewhere is not deleted')
    t.strictSame(await store.listAttachments(CAL, eventId), [myFile.meta])

    // Webhooks.
    const webhookId = uniqueId('whk')
    const myHook = aWebhook({ id: webhookId })
    const theirHook = aWebhook({ id: webhookId, calendarId: OTHER, url: 'https://other.example.com/' })
    await store.createWebhook(myHook)
    await store.createWebhook(theirHook)
    t.strictSame(await store.getWebhook(OTHER, webhookId), theirHook)
    t.strictSame(await store.deleteWebhook(OTHER, webhookId), { kind: 'done', value: true })
    t.strictSame(await store.listWebhooks(CAL), [myHook], 'the same id elsewhere is not deleted')

    // Idempotency keys and attendees' busy times.
    const key = anIdempotencyWrite({ createdAt: T0 })
    const email = 'ann@example.com'
    const myBusy = [{ start: T0, end: T0 + HOUR }]
    const theirBusy = [{ start: T0 + HOUR, end: T0 + 2 * HOUR }]
    t.strictSame(await store.putBusy(CAL, email, myBusy, key), { kind: 'done', value: myBusy })
    t.strictSame(await store.putBusy(OTHER, email, theirBusy, key), { kind: 'done', value: theirBusy })
    t.strictSame(await store.getBusy(CAL, email), myBusy)
    t.strictSame(await store.getBusy(OTHER, email), theirBusy)
    // Outbox messages and deliveries are keyed by their (generated) id alone in every adapter: the
    // port reads them by id (`getMessage`, `markDispatched`).
  })

  scenario(
    'a second record with the same id in one calendar is refused with DuplicateIdError',
    async (t, store) => {
      const event = anEvent({ title: 'The first' })
      const job = aJob({ eventId: event.id })
      await store.submit({ calendarId: CAL, event, job })

      const again = { ...anEvent({ title: 'The second' }), id: event.id }
      await rejectsWith(
        t,
        store.submit({ calendarId: CAL, event: again, job: aJob({ eventId: event.id }) }),
        DuplicateIdError,
        'an event id',
      )
      await rejectsWith(
        t,
        store.submit({ calendarId: CAL, job: { ...aJob(), id: job.id } }),
        DuplicateIdError,
        'a job id',
      )
      t.strictSame(await store.getEvent(CAL, event.id), event, 'the first event stands')
      t.strictSame(await store.getJob(CAL, job.id), job, 'the first job stands')

      const webhook = aWebhook()
      await store.createWebhook(webhook)
      await rejectsWith(
        t,
        store.createWebhook({ ...aWebhook(), id: webhook.id }),
        DuplicateIdError,
        'a webhook id',
      )
      t.strictSame(await store.listWebhooks(CAL), [webhook])

      const first = anAttachment(event, Buffer.from('first'))
      const second = anAttachment(event, Buffer.from('second'), { id: first.meta.id, filename: 'other.txt' })
      await store.putAttachment(first.meta, first.bytes)
      await rejectsWith(
        t,
        store.putAttachment(second.meta, second.bytes),
        DuplicateIdError,
        'an attachment id',
      )
      const key = anIdempotencyWrite({ createdAt: T0 })
      await rejectsWith(
        t,
        store.putAttachment(second.meta, second.bytes, key),
        DuplicateIdError,
        'with a key too',
      )
      t.equal(await store.findIdempotency(CAL, key.key, T0), null, 'a refused write records no key')
      t.strictSame(await store.listAttachments(CAL, event.id), [first.meta])
      t.strictSame((await store.getAttachment(CAL, event.id, first.meta.id))?.bytes, first.bytes)
    },
  )

  scenario('submit refuses an occupying event that overlaps another with OverlapError', async (t, store) => {
    const placed = aScheduledEvent(T0, 60)
    await store.submit({ calendarId: CAL, event: placed, job: aJob({ eventId: placed.id }) })

    const over = aScheduledEvent(T0 + 30 * MINUTE, 60)
    const overJob = aJob({ eventId: over.id })
    await rejectsWith(t, store.submit({ calendarId: CAL, event: over, job: overJob }), OverlapError)
    t.equal(await store.getEvent(CAL, over.id), null, 'the event is not stored')
    t.equal(await store.getJob(CAL, overJob.id), null, 'nor its job')
    const inside = aScheduledEvent(T0 + 10 * MINUTE, 10)
    await rejectsWith(
      t,
      store.submit({ calendarId: CAL, event: inside, job: aJob({ eventId: inside.id }) }),
      OverlapError,
      'one inside another',
    )

    // Touching is not overlapping; events that do not occupy time, and other calendars, never clash.
    const next = aScheduledEvent(T0 + HOUR, 60)
    const cancelled = aScheduledEvent(T0, 60, { status: 'cancelled' })
    const elsewhere = aScheduledEvent(T0, 60, { calendarId: OTHER })
    for (const event of [next, cancelled, elsewhere]) {
      const result = await store.submit({
        calendarId: event.calendarId,
        event,
        job: aJob({ calendarId: event.calendarId, eventId: event.id }),
      })
      t.equal(
        result.kind,
        'done',
        `${event.status} in ${event.calendarId} at +${(event.start ?? T0) - T0} ms`,
      )
    }
    t.strictSame(
      (await store.occupying(CAL, { start: T0, end: T0 + 2 * HOUR })).map((e) => e.id),
      [placed.id, next.id],
    )
  })

  t.test(
    'a server that stops answering: operations reject with StoreUnavailableError within the timeout',
    async (t) => {
      const { store, proxy, cleanup } = await open({ proxy: t, timeoutMs: TIMEOUT_MS })
      t.teardown(cleanup)
      if (proxy === undefined) {
        t.pass('this server cannot be reached through a TCP proxy (several hosts, or an SRV record): skipped')
        return
      }
      const event = anEvent()
      const job = aJob({ eventId: event.id })
      await store.submit({ calendarId: CAL, event, job })
      proxy.stall()

      const create = anEvent()
      const operations: Record<string, () => Promise<unknown>> = {
        'a ping': () => store.ping(),
        'a read': () => store.getEvent(CAL, event.id),
        'a list': () => store.listEvents(CAL, { limit: 10, order: 'start', now: T0 }),
        'a submit (a transaction)': () =>
          store.submit({ calendarId: CAL, event: create, job: aJob({ eventId: create.id }) }),
        'a plan': () => store.applyPlan(aPlan(job, { upserts: [placedAt(event, T0)] }) satisfies StorePlan),
        'a write outside a transaction': () => store.startJob(CAL, job.id),
      }
      for (const [name, operation] of Object.entries(operations)) {
        const started = Date.now()
        await rejectsWith(t, operation(), StoreUnavailableError, name)
        const took = Date.now() - started
        t.ok(took < TIMEOUT_MS + SLACK_MS, `${name}: answered in ${took} ms (timeout ${TIMEOUT_MS} ms)`)
      }
      await proxy.cut()
    },
  )
}

function placedAt(event: EventRecord, start: number): EventRecord {
  return { ...event, status: 'scheduled', start, end: start + event.durationMinutes * MINUTE }
}
