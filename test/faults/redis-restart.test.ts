import { setTimeout as sleep } from 'node:timers/promises'
import { startService, waitUntil } from '@scheduler/test-helpers/service'
import t from 'tap'
import { inspector, ownRedis, quantile, waitForJobsFinished } from './fault-kit.js'

const CLIENTS = 4
const BEFORE = 30
const DOWN_MS = 4_000
/** After the kill, the API's Redis client learns of the closed connection from the socket; allow it this. */
const NOTICE_MS = 250
const AFTER = 30
/** "Fast": a refusal that waits on anything (a reconnect, a timeout) takes seconds, not this. */
const REFUSAL_BOUND_MS = 1_000

interface Sent {
  status: number
  ms: number
  /**
   * When it was sent and answered; `edge` for a request that straddled the kill or the restart, or came in
   * the moment after the kill before the API could have seen its connection close.
   */
  phase: 'up' | 'down' | 'back' | 'edge'
  /** Date.now() when the answer came. */
  at: number
  retryAfter: string | null
  contentType: string | null
}

t.test('Redis killed and restarted mid-burst: 503 fast while away, nothing accepted lost', async (t) => {
  const redis = await ownRedis(t)
  const service = await startService(t, {
    REDIS_URL: redis.url,
    CALENDAR_WORKING_HOURS: 'mon-sun 00:00-24:00',
    CALENDAR_SLOT_MINUTES: '5',
    RECONCILE_AFTER_MS: '1000',
    // On, as in production: its counters live in the same Redis, and it must not turn an outage into a 500.
    RATE_LIMIT_PER_MINUTE: '1000000',
  })
  await service.startApi()
  const worker = service.startWorker()
  const db = await inspector(t, service)

  const sent: Sent[] = []
  let phase: Sent['phase'] = 'up'
  let running = true
  let next = 0
  const accepted = (which: Sent['phase']) => sent.filter((s) => s.phase === which && s.status === 202).length
  const clients = Array.from({ length: CLIENTS }, async () => {
    while (running) {
      const i = next++
      const started = performance.now()
      const sentIn = phase
      const answer = await service.call('POST', '/v1/events', {
        body: { title: `Burst ${i}`, durationMinutes: 5 },
        headers: { 'idempotency-key': `redis-key-${i}` },
      })
      sent.push({
        status: answer.status,
        ms: performance.now() - started,
        phase: sentIn === phase ? sentIn : 'edge',
        at: Date.now(),
        retryAfter: answer.headers.get('retry-after'),
        contentType: answer.headers.get('content-type'),
      })
      if (answer.status === 503) await sleep(20)
    }
  })

  await waitUntil(async () => accepted('up') >= BEFORE, 60_000)
  phase = 'edge'
  await redis.kill()
  const downAt = Date.now()
  await sleep(NOTICE_MS)
  phase = 'down'
  await sleep(DOWN_MS)
  phase = 'edge'
  await redis.start()
  phase = 'back'
  const backAt = Date.now()
  await waitUntil(async () => accepted('back') >= AFTER, 60_000)
  const firstAcceptedAfterMs =
    Math.min(...sent.filter((s) => s.phase === 'back' && s.status === 202).map((s) => s.at)) - backAt
  running = false
  await Promise.all(clients)

  const down = sent.filter((s) => s.phase === 'down')
  const refusals = down.filter((s) => s.status === 503)
  t.ok(refusals.length >= 10, `${refusals.length} refusals while Redis was away`)
  t.same(
    down.filter((s) => s.status !== 503).map((s) => s.status),
    [],
    'every request sent while Redis was away was refused with 503',
  )
  const slowest = Math.max(...refusals.map((s) => s.ms))
  t.ok(
    slowest < REFUSAL_BOUND_MS,
    `each refusal under ${REFUSAL_BOUND_MS} ms (slowest ${slowest.toFixed(1)} ms)`,
  )
  t.ok(
    refusals.every((s) => s.retryAfter !== null && /application\/problem\+json/.test(s.contentType ?? '')),
    'each refusal is problem+json with Retry-After',
  )
  const others = sent.filter((s) => s.status !== 202 && s.status !== 503)
  t.same(
    others.map((s) => s.status),
    [],
    'no answer other than 202 and 503',
  )

  const acceptedTotal = sent.filter((s) => s.status === 202).length
  await waitForJobsFinished(db, acceptedTotal, 60_000)
  t.equal(worker.child.exitCode, null, 'the worker was never restarted: the same process placed them')
  t.same(await db.jobStates(), { completed: acceptedTotal }, 'every accepted job completed')
  t.same(
    await db.eventStatuses(),
    { scheduled: acceptedTotal },
    'every accepted event placed, none else written',
  )
  t.equal(await db.overlaps(), 0, 'no overlap')

  t.comment(
    `faults/redis-restart: sent ${sent.length}, accepted ${acceptedTotal} (${accepted('up')} before the kill, ` +
      `${accepted('back')} after the restart), refused ${refusals.length} while Redis was away ` +
      `${backAt - downAt} ms, 503 latency p50 ${quantile(
        refusals.map((s) => s.ms),
        0.5,
      ).toFixed(
        1,
      )} ms max ${slowest.toFixed(1)} ms, first accepted ${firstAcceptedAfterMs} ms after the restart, lost 0`,
  )
})
