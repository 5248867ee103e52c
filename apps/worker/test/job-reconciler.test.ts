import { randomBytes } from 'node:crypto'
import { CALENDAR_ID_DEFAULT } from '@scheduler/core'
import {
  createPlacementQueue,
  createRedisConnection,
  enqueuePlacement,
  PLACEMENT_QUEUE,
} from '@scheduler/jobs'
import { openStore } from '@scheduler/store'
import { aJob, anEvent } from '@scheduler/test-helpers/builders'
import { freshPostgres } from '@scheduler/test-helpers/fresh-postgres'
import { deleteKeys, REDIS_URL } from '@scheduler/test-helpers/redis-keys'
import { UnrecoverableError, Worker } from 'bullmq'
import t from 'tap'
import { createJobReconciler } from '../src/job-reconciler.js'

t.test('the reconciler re-enqueues lost jobs and retries the ones BullMQ gave up on', async (t) => {
  const prefix = `reconciler_${randomBytes(5).toString('hex')}`
  const store = await openStore(await freshPostgres(t))
  const redis = createRedisConnection(REDIS_URL, 'worker')
  const queue = createPlacementQueue(redis, prefix)
  t.teardown(async () => {
    await queue.close()
    await redis.quit()
    await store.close()
    await deleteKeys(prefix)
  })

  const submit = async () => {
    const event = anEvent()
    const job = aJob({ eventId: event.id, createdAt: Date.now() - 60_000 })
    await store.submit({ calendarId: CALENDAR_ID_DEFAULT, job, event })
    return job
  }
  const lost = await submit() // persisted, never enqueued (the API died, or Redis lost it)
  const givenUp = await submit() // enqueued, then failed in BullMQ while the store was away
  await enqueuePlacement(queue, givenUp)
  const failing = new Worker(
    PLACEMENT_QUEUE,
    async () => {
      throw new UnrecoverableError('the store is away')
    },
    { connection: redis, prefix },
  )
  for (let i = 0; i < 100 && !(await (await queue.getJob(givenUp.id))?.isFailed()); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await failing.close()
  t.equal(await (await queue.getJob(givenUp.id))?.getState(), 'failed')

  const reconciler = createJobReconciler({
    store,
    queue,
    afterMs: 1_000,
    clock: () => Date.now(),
    onError: (error) => t.error(error),
  })
  t.equal(await reconciler.reconcileOnce(), 2, 'both unfinished jobs seen')
  t.equal(await (await queue.getJob(lost.id))?.getState(), 'waiting', 'the lost job is queued again')
  t.equal(await (await queue.getJob(givenUp.id))?.getState(), 'waiting', 'the given-up job is retried')
  await reconciler.reconcileOnce()
  t.equal(await queue.count(), 2, 'a second pass adds nothing')
})
