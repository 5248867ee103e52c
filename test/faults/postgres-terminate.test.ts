import { setTimeout as sleep } from 'node:timers/promises'
import { PLACEMENT_QUEUE } from '@scheduler/jobs'
import { TEST_POSTGRES_URL } from '@scheduler/test-helpers/fresh-postgres'
import { type JsonObject, startService } from '@scheduler/test-helpers/service'
import { Queue } from 'bullmq'
import pg from 'pg'
import t from 'tap'
import { inspector, retriedPlacementJobs, untilAnswered, waitForJobsFinished } from './fault-kit.js'

const BURST = 60
const IN_FLIGHT = 4
const KILL_EVERY_MS = 50
/**
 * Once the queue resumes, terminations come this often: on a quiet machine the worker drains the burst in
 * a few batches within milliseconds, so a slower pace could miss every one of them.
 */
const KILL_EVERY_MS_WHILE_PLACING = 3
/** Terminations go on this long after the last request was answered and the queue resumed. */
const KILL_ON_MS = 4_000

t.test('PostgreSQL backends terminated mid-batch: jobs retry and complete, no event stuck', async (t) => {
  const service = await startService(t, {
    CALENDAR_WORKING_HOURS: 'mon-sun 00:00-24:00',
    CALENDAR_SLOT_MINUTES: '5',
    RECONCILE_AFTER_MS: '1000',
    PLACEMENT_BATCH_MAX: '4',
  })
  await service.startApi()
  const worker = service.startWorker()
  // Warm up: the worker has loaded the calendar (a process refuses to start on a failing database).
  await service.createAndPlace({ title: 'Warm-up', durationMinutes: 10 })
  const database = new URL(service.env.STORE_URL ?? '').pathname.slice(1)

  // The terminator works from the server's `postgres` database, so it never terminates itself.
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  await admin.connect()
  let terminating = true
  let placing = false
  let rounds = 0
  let terminated = 0
  const terminator = (async () => {
    while (terminating) {
      const result = await admin.query(
        'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database],
      )
      rounds++
      terminated += result.rows.filter((row) => row.done === true).length
      await sleep(placing ? KILL_EVERY_MS_WHILE_PLACING : KILL_EVERY_MS)
    }
  })()
  // A failed assertion must not leave the terminator running on a closed client (nor the database behind).
  t.teardown(async () => {
    terminating = false
    await terminator.catch(() => {})
    await admin.end()
  })

  // The queue is paused while the burst comes in, then resumed with the terminations still going: every
  // batch of the burst runs while backends are being terminated.
  const queue = new Queue(PLACEMENT_QUEUE, {
    connection: { url: service.env.REDIS_URL },
    prefix: service.prefix,
  })
  t.teardown(() => queue.close())
  await queue.pause()

  const statuses = new Map<number, number>()
  let tries = 0
  const keys = Array.from({ length: BURST }, (_, i) => i)
  const clients = Array.from({ length: IN_FLIGHT }, async () => {
    for (let i = keys.shift(); i !== undefined; i = keys.shift()) {
      // Every fourth is a fixed event over a time the autos take, so some batches displace.
      const body: JsonObject =
        i % 4 === 3
          ? {
              title: `Fixed ${i}`,
              durationMinutes: 10,
              start: new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + i * 300_000).toISOString(),
            }
          : { title: `Auto ${i}`, durationMinutes: 10 }
      const answer = await untilAnswered(
        () => {
          tries++
          return service.call('POST', '/v1/events', { body, headers: { 'idempotency-key': `pg-key-${i}` } })
        },
        { pauseMs: 100 },
      )
      statuses.set(i, answer.status)
    }
  })
  await Promise.all(clients)
  placing = true
  await queue.resume()
  await sleep(KILL_ON_MS)
  terminating = false
  await terminator

  t.same(
    [...statuses.values()].filter((status) => status !== 202),
    [],
    'every request answered 202 in the end (retried with its key after a 503)',
  )
  const db = await inspector(t, service)
  await waitForJobsFinished(db, BURST + 1, 120_000)
  t.equal(worker.child.exitCode, null, 'the worker survived every termination')
  const jobs = await db.jobStates()
  t.equal((jobs.completed ?? 0) + (jobs.failed ?? 0), BURST + 1, 'one job per event, every job finished')
  const [stuck] = await db.rows(`SELECT count(*) AS n FROM events WHERE status = 'pending'`)
  t.equal(Number(stuck?.n), 0, 'no event left pending')
  const [unexplained] = await db.rows(
    `SELECT count(*) AS n FROM events WHERE status = 'failed' AND (failure IS NULL OR failure->>'code' IS NULL)`,
  )
  t.equal(Number(unexplained?.n), 0, 'every failed event carries its reason')
  const [events] = await db.rows('SELECT count(*) AS n FROM events')
  t.equal(Number(events?.n), BURST + 1, 'every key created exactly one event')
  t.equal(await db.overlaps(), 0, 'no overlap')
  const statusesNow = await db.eventStatuses()
  const jobIds = (await db.rows<{ id: string }>('SELECT id FROM jobs')).map((row) => row.id)
  const retried = await retriedPlacementJobs(service.env.REDIS_URL ?? '', service.prefix, jobIds)
  t.ok(retried >= 1, `${retried} jobs failed an attempt on a terminated backend and were retried`)
  t.comment(
    `faults/postgres-terminate: ${BURST} events sent in ${tries} tries, accepted ${statuses.size}, ` +
      `${terminated} backends terminated in ${rounds} rounds, ${retried} jobs retried, jobs ${JSON.stringify(jobs)}, ` +
      `events ${JSON.stringify(statusesNow)}, lost 0`,
  )
})
