import { randomBytes } from 'node:crypto'
import { deleteKeys, REDIS_URL } from '@scheduler/test-helpers/redis-keys'
import t from 'tap'
import { createPlacementEnqueuer, createPlacementQueue, createRedisConnection } from '../src/index.js'

t.test('jobs enqueued together go out as one addBulk, each promise settles with its job', async (t) => {
  const prefix = `enqueuer_${randomBytes(5).toString('hex')}`
  const redis = createRedisConnection(REDIS_URL, 'producer')
  const queue = createPlacementQueue(redis, prefix)
  t.teardown(async () => {
    await queue.close()
    await redis.quit()
    await deleteKeys(prefix)
  })
  await queue.waitUntilReady()
  const enqueue = createPlacementEnqueuer(queue)
  const jobs = Array.from({ length: 30 }, (_, i) => ({ id: `job_${i}`, calendarId: 'default' }))
  // The same job twice (the API and the reconciler racing) is added once
  await Promise.all([...jobs, jobs[0] as (typeof jobs)[0]].map((job) => enqueue(job)))
  t.equal(await queue.count(), 30)
  const first = await queue.getJob('job_0')
  t.strictSame(first?.data, { calendarId: 'default', jobId: 'job_0' })
  t.equal(first?.opts.attempts, 8)

  await enqueue({ id: 'job_alone', calendarId: 'default' })
  t.ok(await queue.getJob('job_alone'), 'a lone job goes out too')
})

t.test('when Redis cannot take the batch, every job of it rejects', async (t) => {
  const prefix = `enqueuer_${randomBytes(5).toString('hex')}`
  const redis = createRedisConnection(REDIS_URL, 'producer')
  const queue = createPlacementQueue(redis, prefix)
  t.teardown(async () => {
    await queue.close()
    await deleteKeys(prefix)
  })
  await queue.waitUntilReady()
  const enqueue = createPlacementEnqueuer(queue)
  redis.disconnect()
  const results = await Promise.allSettled(
    ['job_a', 'job_b'].map((id) => enqueue({ id, calendarId: 'default' })),
  )
  t.strictSame(
    results.map((result) => result.status),
    ['rejected', 'rejected'],
  )
})
