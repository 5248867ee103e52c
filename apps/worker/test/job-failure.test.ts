import { randomBytes } from 'node:crypto'
import { loadConfig } from '@scheduler/config'
import type { JobRecord } from '@scheduler/core'
import { createPlacementQueue, createRedisConnection, enqueuePlacement } from '@scheduler/jobs'
import { openStore, type Store } from '@scheduler/store'
import { aCalendar, aJob, anEvent } from '@scheduler/test-helpers/builders'
import { freshPostgres } from '@scheduler/test-helpers/fresh-postgres'
import { deleteKeys, REDIS_URL } from '@scheduler/test-helpers/redis-keys'
import pg from 'pg'
import { pino } from 'pino'
import t from 'tap'
import { isFinalAttempt } from '../src/processors/job-failure.js'
import { startWorker } from '../src/worker-app.js'

// A calendar the worker knows nothing about yet: a job there cannot be applied (no settings) until it exists.
const ELSEWHERE = 'elsewhere'

async function until(store: Store, job: JobRecord, states: JobRecord['state'][]): Promise<JobRecord | null> {
  for (let i = 0; i < 200; i++) {
    const current = await store.getJob(job.calendarId, job.id)
    if (current && states.includes(current.state)) return current
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return store.getJob(job.calendarId, job.id)
}

t.test(
  'a job that fails for good leaves no pending event; the event can be cancelled and deleted',
  async (t) => {
    const prefix = `worker_fail_${randomBytes(5).toString('hex')}`
    const config = loadConfig({
      STORE_URL: await freshPostgres(t, { create: false }),
      REDIS_URL,
      REDIS_PREFIX: prefix,
      WORKER_METRICS_PORT: '0',
      JWT_SECRET: randomBytes(32).toString('hex'),
    })
    const worker = await startWorker(config, pino({ level: 'silent' }))
    const store = await openStore(config.STORE_URL)
    const redis = createRedisConnection(REDIS_URL, 'worker')
    const queue = createPlacementQueue(redis, prefix)
    t.teardown(async () => {
      await worker.close()
      await queue.close()
      await redis.quit()
      await store.close()
      await deleteKeys(prefix)
    })

    const now = Date.now()
    const event = anEvent({ calendarId: ELSEWHERE, createdAt: now, updatedAt: now })
    const create = aJob({ calendarId: ELSEWHERE, eventId: event.id, createdAt: now })
    await store.submit({ calendarId: ELSEWHERE, job: create, event })
    // One attempt only, so the test need not wait for the retry schedule: the processor throws (no settings)
    await queue.add('place', { calendarId: ELSEWHERE, jobId: create.id }, { jobId: create.id, attempts: 1 })

    const failedJob = await until(store, create, ['failed', 'completed'])
    t.match(failedJob, { state: 'failed', error: { code: 'INTERNAL' } }, 'the job is failed')
    const failed = await store.getEvent(ELSEWHERE, event.id)
    t.match(failed, { status: 'failed', failure: { code: 'NOT_APPLIED' }, version: event.version + 1 })
    // The dispatcher may have handed it on already: read the outbox table itself
    const messages = await sql<{ type: string; data: unknown }>(
      config.STORE_URL,
      'SELECT type, data FROM outbox_messages WHERE event_id = $1',
      [event.id],
    )
    t.match(
      messages,
      [
        {
          type: 'event.failed',
          data: { event: { id: event.id, status: 'failed', failure: { code: 'NOT_APPLIED' } } },
        },
      ],
      'one event.failed message in the outbox, with the wire representation',
    )

    // The calendar now exists: the failed event is cancelled, then deleted, by the ordinary jobs
    await store.ensureCalendar(aCalendar({ id: ELSEWHERE }))
    for (const type of ['cancel', 'delete'] as const) {
      const change = aJob({
        calendarId: ELSEWHERE,
        eventId: event.id,
        type,
        payload: { type },
        createdAt: now,
      })
      await store.submit({ calendarId: ELSEWHERE, job: change })
      await enqueuePlacement(queue, change)
      t.match(await until(store, change, ['completed', 'failed']), { state: 'completed' }, `${type} applied`)
    }
    t.equal(await store.getEvent(ELSEWHERE, event.id), null, 'gone')
  },
)

t.test('isFinalAttempt follows BullMQ: the last attempt, or an UnrecoverableError', async (t) => {
  const error = new Error('x')
  const unrecoverable = Object.assign(new Error('y'), { name: 'UnrecoverableError' })
  t.equal(isFinalAttempt({ attemptsMade: 0, opts: { attempts: 8 } }, error), false)
  t.equal(isFinalAttempt({ attemptsMade: 7, opts: { attempts: 8 } }, error), true)
  t.equal(isFinalAttempt({ attemptsMade: 0, opts: {} }, error), true)
  t.equal(isFinalAttempt({ attemptsMade: 0, opts: { attempts: 8 } }, unrecoverable), true)
})

async function sql<R extends pg.QueryResultRow>(url: string, text: string, params: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(text, params)).rows
  } finally {
    await client.end()
  }
}
