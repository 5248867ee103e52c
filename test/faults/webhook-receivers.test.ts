import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startService, waitUntil } from '@scheduler/test-helpers/service'
import t, { type Test } from 'tap'
import { inspector, waitForJobsFinished } from './fault-kit.js'

const EVENTS = 16
/** Each attempt's limit: the hanging receiver costs this per attempt. */
const TIMEOUT_MS = 1_000
const ATTEMPTS = 3
/** Placement of the burst, whatever the receivers do (it takes well under a second when they answer). */
const PLACEMENT_BOUND_MS = 10_000

type Behaviour = 'hangs' | 'resets' | 'answers 500'

/** A receiver on loopback that misbehaves the same way on every request; counts what reached it. */
async function badReceiver(t: Test, behaviour: Behaviour) {
  const seen = { requests: 0 }
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    seen.requests++
    request.resume()
    if (behaviour === 'resets') request.socket.resetAndDestroy()
    else if (behaviour === 'answers 500') response.writeHead(500).end('no')
    // 'hangs': never answers, never closes
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const { port } = server.address() as AddressInfo
  return { behaviour, url: `http://127.0.0.1:${port}/hook`, seen }
}

t.test(
  'receivers that hang, reset or answer 500: placement is not delayed, every attempt recorded',
  async (t) => {
    const service = await startService(t, {
      CALENDAR_WORKING_HOURS: 'mon-sun 00:00-24:00',
      CALENDAR_SLOT_MINUTES: '5',
      WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      WEBHOOK_RETRY_SCHEDULE: '200ms,400ms',
    })
    await service.startApi()
    service.startWorker()
    const db = await inspector(t, service)
    // The worker is up and has its calendar before the burst, so the burst measures placement only.
    await service.createAndPlace({ title: 'Warm-up', durationMinutes: 10 })

    const receivers = await Promise.all(
      (['hangs', 'resets', 'answers 500'] as const).map((behaviour) => badReceiver(t, behaviour)),
    )
    const hooks = new Map<string, Behaviour>()
    for (const receiver of receivers) {
      const registered = await service.call('POST', '/v1/webhooks', {
        body: { url: receiver.url, events: ['event.scheduled'], description: receiver.behaviour },
      })
      t.equal(registered.status, 201, `registered the receiver that ${receiver.behaviour}`)
      hooks.set(registered.body.id, receiver.behaviour)
    }

    const started = Date.now()
    const accepted = await Promise.all(
      Array.from({ length: EVENTS }, (_, i) =>
        service.call('POST', '/v1/events', { body: { title: `Meeting ${i}`, durationMinutes: 10 } }),
      ),
    )
    t.ok(
      accepted.every((answer) => answer.status === 202),
      'the burst was accepted',
    )
    await waitForJobsFinished(db, EVENTS + 1, 60_000)
    const placedInMs = Date.now() - started
    t.same(await db.eventStatuses(), { scheduled: EVENTS + 1 }, 'every event scheduled')
    const [latency] = await db.rows<{ max: number }>(
      `SELECT max(extract(epoch FROM j.finished_at - j.created_at) * 1000)::float AS max
       FROM jobs j JOIN events e ON e.id = j.event_id WHERE e.title LIKE 'Meeting %'`,
    )
    t.ok(
      placedInMs < PLACEMENT_BOUND_MS,
      `the burst was placed in ${placedInMs} ms (slowest job ${Math.round(latency?.max ?? 0)} ms) ` +
        `while the receivers hold up ${EVENTS * ATTEMPTS} attempts each`,
    )

    // Every message to every webhook: its three attempts, all recorded, the last one `failed`.
    const messages = await db.rows<{ id: string }>(
      `SELECT id FROM outbox_messages WHERE type = 'event.scheduled' AND event_id IN (
       SELECT id FROM events WHERE title LIKE 'Meeting %')`,
    )
    t.equal(messages.length, EVENTS, 'one event.scheduled message per event of the burst')
    const expected = messages.length * hooks.size * ATTEMPTS
    await waitUntil(async () => {
      const [row] = await db.rows<{ n: string }>(
        `SELECT count(*) AS n FROM webhook_deliveries WHERE message_id = ANY($1)`,
        [messages.map((m) => m.id)],
      )
      return Number(row?.n) >= expected
    }, 90_000)
    const series = await db.rows<{
      webhook_id: string
      message_id: string
      attempts: number[]
      statuses: string[]
      codes: (number | null)[]
      errors: (string | null)[]
    }>(
      `SELECT webhook_id, message_id, array_agg(attempt ORDER BY attempt) AS attempts,
            array_agg(status ORDER BY attempt) AS statuses, array_agg(response_status ORDER BY attempt) AS codes,
            array_agg(error ORDER BY attempt) AS errors
       FROM webhook_deliveries WHERE message_id = ANY($1) GROUP BY webhook_id, message_id`,
      [messages.map((m) => m.id)],
    )
    t.equal(series.length, messages.length * hooks.size, 'every message was tried at every receiver')
    const wrong = series.filter(
      (s) =>
        JSON.stringify(s.attempts) !== JSON.stringify([1, 2, 3]) ||
        JSON.stringify(s.statuses) !== JSON.stringify(['retrying', 'retrying', 'failed']),
    )
    t.same(wrong, [], 'each series is attempts 1, 2, 3: retrying, retrying, failed')
    for (const [webhookId, behaviour] of hooks) {
      const mine = series.filter((s) => s.webhook_id === webhookId)
      const reasons = new Set<number | string | null>(
        mine.flatMap((s): (number | string | null)[] => (behaviour === 'answers 500' ? s.codes : s.errors)),
      )
      t.comment(`${behaviour}: recorded ${[...reasons].join(', ')}`)
      if (behaviour === 'answers 500') t.same([...reasons], [500], 'the 500s are recorded with their status')
      else t.notOk(reasons.has(null), `each attempt at the receiver that ${behaviour} has its reason`)
    }
    for (const receiver of receivers) {
      t.equal(
        receiver.seen.requests,
        EVENTS * ATTEMPTS,
        `the receiver that ${receiver.behaviour} saw every attempt`,
      )
    }
    const [undispatched] = await db.rows<{ n: string }>(
      'SELECT count(*) AS n FROM outbox_messages WHERE dispatched_at IS NULL',
    )
    t.equal(Number(undispatched?.n), 0, 'every outbox message was dispatched')
    t.comment(
      `faults/webhook-receivers: ${EVENTS} events placed in ${placedInMs} ms (slowest job ` +
        `${Math.round(latency?.max ?? 0)} ms); ${series.length} message×receiver series, ` +
        `${series.length * ATTEMPTS} attempts recorded of ${expected} expected`,
    )
  },
)
