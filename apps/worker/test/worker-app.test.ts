import { randomBytes } from 'node:crypto'
import { loadConfig } from '@scheduler/config'
import { CALENDAR_ID_DEFAULT } from '@scheduler/core'
import { createPlacementQueue, createRedisConnection, enqueuePlacement } from '@scheduler/jobs'
import { openStore } from '@scheduler/store'
import { aJob, anEvent } from '@scheduler/test-helpers/builders'
import { freshPostgres } from '@scheduler/test-helpers/fresh-postgres'
import { deleteKeys, REDIS_URL } from '@scheduler/test-helpers/redis-keys'
import { pino } from 'pino'
import t from 'tap'
import { startWorker } from '../src/worker-app.js'

t.test('the worker places a queued job, counts it on /metrics, and closes cleanly', async (t) => {
  const prefix = `worker_${randomBytes(5).toString('hex')}`
  const config = loadConfig({
    STORE_URL: await freshPostgres(t, { create: false }),
    REDIS_URL,
    REDIS_PREFIX: prefix,
    WORKER_METRICS_PORT: String(20_000 + Math.floor(Math.random() * 20_000)),
    CALENDAR_WORKING_HOURS: 'mon-sun 00:00-24:00',
    JWT_SECRET: randomBytes(32).toString('hex'),
  })
  const worker = await startWorker(config, pino({ level: 'silent' }))
  const store = await openStore(config.STORE_URL)
  const redis = createRedisConnection(REDIS_URL, 'worker')
  const queue = createPlacementQueue(redis, prefix)
  t.teardown(async () => {
    await queue.close()
    await redis.quit()
    await store.close()
    await deleteKeys(prefix)
  })

  const event = anEvent({ createdAt: Date.now(), updatedAt: Date.now() })
  const job = aJob({ eventId: event.id, type: 'create', payload: { type: 'create' } })
  await store.submit({ calendarId: CALENDAR_ID_DEFAULT, job, event })
  await enqueuePlacement(queue, job)

  for (let i = 0; i < 200; i++) {
    if ((await store.getJob(CALENDAR_ID_DEFAULT, job.id))?.state === 'completed') break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.equal((await store.getJob(CALENDAR_ID_DEFAULT, job.id))?.state, 'completed')
  t.equal((await store.getEvent(CALENDAR_ID_DEFAULT, event.id))?.status, 'scheduled')

  const metrics = await (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)).text()
  t.match(metrics, /scheduler_placements_total\{type="create",result="scheduled"\} 1/)
  t.match(metrics, /scheduler_placement_duration_seconds_count 1/)
  t.match(metrics, /scheduler_webhook_deliveries_total/)
  t.equal((await queue.getGlobalConcurrency()) ?? null, 1, 'the queue lets one placement run at a time')

  // Jobs queued while the queue is paused are placed as one batch; the ones taken from behind the job in
  // hand are removed from the queue, not handed over one by one afterwards
  await queue.pause()
  const batch = Array.from({ length: 5 }, () => {
    const queued = anEvent({ createdAt: Date.now(), updatedAt: Date.now() })
    return { event: queued, job: aJob({ eventId: queued.id, type: 'create', payload: { type: 'create' } }) }
  })
  for (const queued of batch) {
    await store.submit({ calendarId: CALENDAR_ID_DEFAULT, ...queued })
    await enqueuePlacement(queue, queued.job)
  }
  await queue.resume()
  for (let i = 0; i < 200; i++) {
    const counts = await queue.getJobCounts('waiting', 'active')
    if (counts.waiting === 0 && counts.active === 0) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  for (const queued of batch) {
    t.equal((await store.getEvent(CALENDAR_ID_DEFAULT, queued.event.id))?.status, 'scheduled')
  }
  t.ok(
    ((await queue.getJobCounts('completed')).completed ?? 0) < 6,
    'the jobs taken from behind were not handed over',
  )

  await t.resolves(worker.close(), 'closes everything it opened')
})
