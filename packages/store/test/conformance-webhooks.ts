import {
  aDelivery,
  aJob,
  aMessage,
  anIdempotencyWrite,
  aPlan,
  aWebhook,
  HOUR,
  MINUTE,
  T0,
  uniqueId,
} from '@scheduler/test-helpers/builders'
import { byId, CAL, OTHER, type Scenario } from './conformance-support.js'

/** The webhooks aggregate's behaviour: webhooks, outbox, deliveries, run by `conformanceSuite` for every adapter. */
export function webhookScenarios(scenario: Scenario): void {
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

  scenario('concurrent deletions with the same key: one deletes, the others replay it', async (t, store) => {
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
  })

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
}
