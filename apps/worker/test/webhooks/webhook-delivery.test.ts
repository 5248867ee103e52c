import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CALENDAR_ID_DEFAULT, newId, type WebhookEventType } from '@scheduler/core'
import {
  createDeliveryQueue,
  createRedisConnection,
  DELIVERY_QUEUE,
  type DeliveryJobData,
  deliveryJobId,
  enqueueDelivery,
} from '@scheduler/jobs'
import { openStore, type Store, type WebhookRecord } from '@scheduler/store'
import { aCalendar, aJob, anEvent, aPlan } from '@scheduler/test-helpers/builders'
import { dnsStub } from '@scheduler/test-helpers/dns-stub'
import { freshPostgres } from '@scheduler/test-helpers/fresh-postgres'
import { generateWebhookSecret, type HostResolver, webhookRetryPolicy } from '@scheduler/webhooks'
import { Worker } from 'bullmq'
import { pino } from 'pino'
import { Webhook } from 'standardwebhooks'
import t, { type Test } from 'tap'
import { createOutboxDispatcher } from '../../src/outbox-dispatcher.js'
import {
  createDeliverWebhookProcessor,
  deliveryWorkerOptions,
} from '../../src/processors/deliver-webhook-processor.js'

const REDIS_URL = 'redis://127.0.0.1:6379'
/** WEBHOOK_RETRY_SCHEDULE=200ms,400ms: three attempts in all. */
const SCHEDULE = [200, 400]
const RETRY_POLICY = webhookRetryPolicy(SCHEDULE)
const logger = pino({ level: 'silent' })

interface Received {
  id: string
  timestamp: number
  at: number
  verified: boolean
  body: { type: string; timestamp: string; data: unknown } | null
}

/** A real loopback receiver that checks every request with the reference Standard Webhooks verifier. */
async function receiver(t: Test, secret: string, answer: (attempt: number) => number) {
  const received: Received[] = []
  const verifier = new Webhook(secret)
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      let body: Received['body'] = null
      let verified = false
      try {
        body = verifier.verify(raw, req.headers as Record<string, string>) as Received['body']
        verified = true
      } catch {}
      received.push({
        id: String(req.headers['webhook-id']),
        timestamp: Number(req.headers['webhook-timestamp']),
        at: Date.now(),
        verified,
        body,
      })
      res.writeHead(answer(received.length)).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hooks/scheduler`, received }
}

/** A fresh database and Redis prefix, the dispatcher and a real delivery Worker, all closed in teardown. */
async function setup(t: Test, options: { startWorker?: boolean; resolve?: HostResolver } = {}) {
  const store = await openStore(await freshPostgres(t))
  await store.ensureCalendar(aCalendar())
  const prefix = `test-webhooks-${randomBytes(6).toString('hex')}`
  const queueConnection = createRedisConnection(REDIS_URL, 'worker')
  const workerConnection = createRedisConnection(REDIS_URL, 'worker')
  const deliveryQueue = createDeliveryQueue(queueConnection, prefix)
  const dispatcher = createOutboxDispatcher({
    store,
    deliveryQueue,
    attempts: RETRY_POLICY.attempts,
    logger,
    intervalMs: 50,
  })
  const startWorker = () =>
    new Worker<DeliveryJobData, void, 'deliver'>(
      DELIVERY_QUEUE,
      createDeliverWebhookProcessor({
        store,
        retryPolicy: RETRY_POLICY,
        timeoutMs: 1_000,
        allowLoopback: true,
        logger,
        ...(options.resolve ? { resolve: options.resolve } : {}),
      }),
      // As in production (apps/worker/src/worker-app.ts).
      { connection: workerConnection, prefix, concurrency: 8, ...deliveryWorkerOptions(RETRY_POLICY) },
    )
  const workers: Array<Worker<DeliveryJobData, void, 'deliver'>> = []
  if (options.startWorker !== false) workers.push(startWorker())
  t.teardown(async () => {
    await dispatcher.stop()
    await Promise.all(workers.map((worker) => worker.close()))
    await deliveryQueue.obliterate({ force: true })
    await deliveryQueue.close()
    await Promise.all([queueConnection.quit(), workerConnection.quit()])
    await store.close()
  })
  return {
    store,
    deliveryQueue,
    dispatcher,
    startWorker: () => {
      const worker = startWorker()
      workers.push(worker)
      return worker
    },
  }
}

/** What the placement worker does: submit a job, then apply a plan that fails the event and records a message. */
async function failAnEvent(store: Store, type: WebhookEventType = 'event.failed') {
  const event = anEvent({ id: newId('evt') })
  const job = aJob({ id: newId('job'), eventId: event.id })
  await store.submit({ calendarId: CALENDAR_ID_DEFAULT, job, event })
  const failed = {
    ...event,
    status: 'failed' as const,
    failure: { code: 'NO_SLOT_AVAILABLE' as const, message: 'No free slot', alternatives: [] },
    version: 2,
    sequence: 1,
  }
  const message = {
    id: newId('msg'),
    calendarId: CALENDAR_ID_DEFAULT,
    type,
    eventId: event.id,
    data: { event: { id: event.id, status: 'failed', title: event.title }, sequence: 1, previous: null },
    createdAt: Date.now(),
    dispatchedAt: null,
  }
  await store.applyPlan(aPlan(job, { upserts: [failed], messages: [message] }))
  return message
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

t.test(
  'a receiver that fails twice gets the third attempt, same webhook-id, every attempt signed',
  async (t) => {
    const { store, dispatcher, deliveryQueue } = await setup(t)
    const secret = generateWebhookSecret()
    const server = await receiver(t, secret, (attempt) => (attempt <= 2 ? 500 : 200))
    const hook = await registerWebhookWithSecret(store, server.url, secret)

    const message = await failAnEvent(store)
    dispatcher.start()
    dispatcher.wake()

    const deliveries = await until('three attempts', async () => {
      const list = await store.listDeliveries(CALENDAR_ID_DEFAULT, hook.id, 50)
      return list.length >= 3 && list
    })
    const oldestFirst = [...deliveries].reverse()
    t.same(
      oldestFirst.map((d) => [d.attempt, d.status, d.responseStatus]),
      [
        [1, 'retrying', 500],
        [2, 'retrying', 500],
        [3, 'succeeded', 200],
      ],
    )
    t.ok(
      oldestFirst.every(
        (d) => d.messageId === message.id && d.eventId === message.eventId && d.type === 'event.failed',
      ),
    )
    t.equal(server.received.length, 3)
    t.ok(
      server.received.every((r) => r.verified),
      'every attempt verified by standardwebhooks',
    )
    t.same(
      server.received.map((r) => r.id),
      [message.id, message.id, message.id],
      'the same webhook-id on every retry',
    )
    const first = server.received[0]!
    t.same(first.body, {
      type: 'event.failed',
      timestamp: new Date(message.createdAt).toISOString(),
      data: message.data,
    })
    const [a, b, c] = server.received.map((r) => r.at) as [number, number, number]
    // Lower bounds are exact (the backoff); upper bounds leave room for a loaded machine.
    t.ok(b - a >= 200 * 0.8 - 20 && b - a < 3_000, `first retry after ${b - a} ms (schedule 200 ms ±20%)`)
    t.ok(c - b >= 400 * 0.8 - 20 && c - b < 3_000, `second retry after ${c - b} ms (schedule 400 ms ±20%)`)
    t.same(await store.undispatchedMessages(10), [], 'the message is marked dispatched')

    // A re-dispatch (e.g. after a crash before markDispatched) adds nothing while BullMQ remembers the job.
    await enqueueDelivery(
      deliveryQueue,
      { calendarId: CALENDAR_ID_DEFAULT, messageId: message.id, webhookId: hook.id },
      3,
    )
    const job = await deliveryQueue.getJob(deliveryJobId(message.id, hook.id))
    t.equal(await job?.getState(), 'completed')
    await sleep(300)
    t.equal(server.received.length, 3, 'no second delivery')
  },
)

t.test('a receiver that always fails is marked failed after the schedule', async (t) => {
  const { store, dispatcher, deliveryQueue } = await setup(t)
  const secret = generateWebhookSecret()
  const server = await receiver(t, secret, () => 503)
  const hook = await registerWebhookWithSecret(store, server.url, secret)
  const message = await failAnEvent(store)
  t.equal(await dispatcher.dispatchOnce(), 1)

  const deliveries = await until('the failed attempt', async () => {
    const list = await store.listDeliveries(CALENDAR_ID_DEFAULT, hook.id, 50)
    return list.some((d) => d.status === 'failed') && list
  })
  t.same(
    [...deliveries].reverse().map((d) => [d.attempt, d.status, d.responseStatus]),
    [
      [1, 'retrying', 503],
      [2, 'retrying', 503],
      [3, 'failed', 503],
    ],
  )
  const job = await deliveryQueue.getJob(deliveryJobId(message.id, hook.id))
  await until('the BullMQ job to fail', async () => (await job?.getState()) === 'failed')
  await sleep(700)
  t.equal(server.received.length, 3, 'no attempt after the last one')
  t.ok(server.received.every((r) => r.verified && r.id === message.id))
})

t.test('a delivery the address guard refuses is failed at once, not retried on the schedule', async (t) => {
  // Names resolved by a DNS server of the test's own: one that points at a private address.
  const stub = await dnsStub(t, { 'rebound.hooks.example.com': { A: ['10.0.0.1'] } })
  const { store, dispatcher, deliveryQueue } = await setup(t, { resolve: stub.resolve })
  const cases = [
    // registered before cluster-internal names were refused at registration: refused by the URL check
    [
      'https://kubernetes.default.svc/hooks',
      /^ADDRESS_REFUSED: the host is a private-network or cluster-internal/,
    ],
    // a public-looking name resolving to a private address: refused by the connect-time check
    ['https://rebound.hooks.example.com/hooks', /^ADDRESS_REFUSED: the host resolves to a private address/],
  ] as const
  for (const [url, reason] of cases) {
    const hook = await registerWebhookWithSecret(store, url, generateWebhookSecret())
    const message = await failAnEvent(store)
    await dispatcher.dispatchOnce()
    const job = await deliveryQueue.getJob(deliveryJobId(message.id, hook.id))
    await until(`the delivery job for ${url} to fail`, async () => (await job?.getState()) === 'failed')
    await sleep(SCHEDULE[0]! * 2)
    const deliveries = await store.listDeliveries(CALENDAR_ID_DEFAULT, hook.id, 50)
    t.same(
      deliveries.map((d) => [d.attempt, d.status, d.responseStatus]),
      [[1, 'failed', null]],
      `${url}: one attempt, recorded failed`,
    )
    t.match(deliveries[0]?.error, reason)
    const failed = await deliveryQueue.getJob(deliveryJobId(message.id, hook.id))
    t.equal(failed?.attemptsMade, 1, 'BullMQ made one attempt')
    t.match(failed?.failedReason, /refused for good/)
  }
  t.ok(stub.queries.includes('rebound.hooks.example.com'), 'the name was resolved at delivery')
})

t.test('a webhook deleted before its delivery runs gets nothing', async (t) => {
  const { store, dispatcher, deliveryQueue, startWorker } = await setup(t, { startWorker: false })
  const secret = generateWebhookSecret()
  const server = await receiver(t, secret, () => 200)
  const hook = await registerWebhookWithSecret(store, server.url, secret)
  const message = await failAnEvent(store)
  t.equal(await dispatcher.dispatchOnce(), 1, 'dispatched while the webhook existed')
  t.ok(await deliveryQueue.getJob(deliveryJobId(message.id, hook.id)), 'the delivery job is queued')
  t.strictSame(await store.deleteWebhook(CALENDAR_ID_DEFAULT, hook.id), { kind: 'done', value: true })

  startWorker()
  const job = await deliveryQueue.getJob(deliveryJobId(message.id, hook.id))
  await until('the delivery job to finish', async () => (await job?.getState()) === 'completed')
  t.equal(server.received.length, 0, 'nothing sent')
  t.same(await store.listDeliveries(CALENDAR_ID_DEFAULT, hook.id, 50), [], 'nothing recorded')
})

t.test(
  'messages go only to webhooks subscribed to their type, and a deleted webhook gets no job',
  async (t) => {
    const { store, dispatcher, deliveryQueue } = await setup(t)
    const failedOnly = generateWebhookSecret()
    const scheduledOnly = generateWebhookSecret()
    const both = generateWebhookSecret()
    const a = await receiver(t, failedOnly, () => 200)
    const b = await receiver(t, scheduledOnly, () => 200)
    const c = await receiver(t, both, () => 200)
    await registerWebhookWithSecret(store, a.url, failedOnly, ['event.failed'])
    await registerWebhookWithSecret(store, b.url, scheduledOnly, ['event.scheduled'])
    await registerWebhookWithSecret(store, c.url, both, ['event.failed', 'event.scheduled'])
    const gone = await registerWebhookWithSecret(store, c.url, both, ['event.failed'])
    await store.deleteWebhook(CALENDAR_ID_DEFAULT, gone.id)

    const failed = await failAnEvent(store, 'event.failed')
    const scheduled = await failAnEvent(store, 'event.scheduled')
    t.equal(await dispatcher.dispatchOnce(), 2)
    t.equal(await dispatcher.dispatchOnce(), 0, 'nothing left to dispatch')
    t.notOk(await deliveryQueue.getJob(deliveryJobId(failed.id, gone.id)), 'no job for the deleted webhook')

    await until('four deliveries', async () => a.received.length + b.received.length + c.received.length >= 4)
    await sleep(200)
    t.same(
      a.received.map((r) => r.id),
      [failed.id],
    )
    t.same(
      b.received.map((r) => r.id),
      [scheduled.id],
    )
    t.same(c.received.map((r) => r.id).sort(), [failed.id, scheduled.id].sort())
    t.ok([...a.received, ...b.received, ...c.received].every((r) => r.verified))
  },
)

t.test('the polling dispatcher picks up messages by itself and wake() runs a pass at once', async (t) => {
  const { store, deliveryQueue } = await setup(t, { startWorker: false })
  const dispatcher = createOutboxDispatcher({ store, deliveryQueue, attempts: 3, logger, intervalMs: 60_000 })
  t.teardown(() => dispatcher.stop())
  const hook = await registerWebhookWithSecret(store, 'http://127.0.0.1:9/', generateWebhookSecret())
  dispatcher.start()
  await sleep(100)
  const message = await failAnEvent(store)
  await sleep(200)
  t.equal((await store.undispatchedMessages(10)).length, 1, 'not picked up before the next tick')
  dispatcher.wake()
  await until(
    'the message to be dispatched',
    async () => (await store.undispatchedMessages(10)).length === 0,
    2_000,
  )
  t.ok(await deliveryQueue.getJob(deliveryJobId(message.id, hook.id)))
  await dispatcher.stop()
  dispatcher.wake()
})

async function registerWebhookWithSecret(
  store: Store,
  url: string,
  secret: string,
  events: WebhookEventType[] = ['event.failed'],
): Promise<WebhookRecord> {
  const webhook: WebhookRecord = {
    id: newId('whk'),
    calendarId: CALENDAR_ID_DEFAULT,
    url,
    events,
    description: null,
    secret,
    createdAt: Date.now(),
  }
  await store.createWebhook(webhook)
  return webhook
}
