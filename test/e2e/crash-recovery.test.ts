import { startService, waitUntil } from '@scheduler/test-helpers/service'
import { Redis } from 'ioredis'
import t from 'tap'

const BURST = 60

/** Every scheduled event of the calendar, sorted by start, straight from the store. */
async function scheduledIntervals(service: Awaited<ReturnType<typeof startService>>) {
  const store = await service.store()
  const page = await store.listEvents('default', { limit: 500, order: 'start', now: Date.now() })
  return page.items.filter((event) => event.start !== null && event.status !== 'cancelled')
}

t.test('a worker killed in the middle of a burst loses nothing and places nothing twice', async (t) => {
  const service = await startService(t, {
    CALENDAR_WORKING_HOURS: 'mon-sun 00:00-24:00',
    CALENDAR_SLOT_MINUTES: '5',
    RECONCILE_AFTER_MS: '500',
    // Small batches, so that the burst takes several and the kill lands between or inside them.
    PLACEMENT_BATCH_MAX: '4',
  })
  await service.startApi()

  const accepted = await Promise.all(
    Array.from({ length: BURST }, (_, i) =>
      service.call('POST', '/v1/events', { body: { title: `Burst ${i}`, durationMinutes: 30 } }),
    ),
  )
  t.ok(
    accepted.every((answer) => answer.status === 202),
    'every request of the burst was accepted',
  )
  const jobIds = accepted.map((answer) => answer.body.job.id as string)

  const first = service.startWorker()
  const store = await service.store()
  // Kill it (no chance to finish anything) once it has placed some, not all.
  await waitUntil(async () => {
    const jobs = await Promise.all(jobIds.map((id) => store.getJob('default', id)))
    return jobs.filter((job) => job?.state === 'completed').length >= 5
  }, 30_000)
  await first.stop('SIGKILL')

  const done = (await Promise.all(jobIds.map((id) => store.getJob('default', id)))).filter(
    (job) => job?.state === 'completed',
  ).length
  t.ok(done < BURST, `killed mid-burst (${done} of ${BURST} done)`)

  const second = service.startWorker()
  for (const id of jobIds) {
    const job = await service.waitForJob(id, 60_000)
    t.equal(job.state, 'completed', `job ${id} completed`)
  }

  const events = await scheduledIntervals(service)
  t.equal(events.length, BURST, 'every accepted event placed')
  t.equal(new Set(events.map((event) => event.id)).size, BURST, 'each exactly once')
  for (let i = 1; i < events.length; i++) {
    const previous = events[i - 1]
    const current = events[i]
    if (previous?.end == null || current?.start == null) continue
    t.ok(previous.end <= current.start, 'no overlap')
  }
  t.equal(await second.stop('SIGTERM'), 0, 'SIGTERM: the worker finishes and exits 0')
})

t.test('jobs persisted while the queue lost them are placed by the reconciler', async (t) => {
  const service = await startService(t, {
    CALENDAR_WORKING_HOURS: 'mon-sun 00:00-24:00',
    RECONCILE_AFTER_MS: '300',
  })
  const api = await service.startApi()
  const accepted = await Promise.all(
    Array.from({ length: 5 }, (_, i) =>
      service.call('POST', '/v1/events', { body: { title: `Lost ${i}`, durationMinutes: 30 } }),
    ),
  )
  // Redis loses the queue (a crash without persistence): only the store still knows the jobs.
  const redis = new Redis(service.env.REDIS_URL ?? '')
  const keys = await redis.keys(`${service.prefix}:*`)
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()

  service.startWorker()
  for (const answer of accepted) {
    const job = await service.waitForJob(answer.body.job.id, 30_000)
    t.equal(job.state, 'completed')
  }
  const events = await scheduledIntervals(service)
  t.equal(events.length, 5)
  t.equal(await api.stop('SIGTERM'), 0, 'SIGTERM: the API closes and exits 0')
})
