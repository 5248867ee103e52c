import { type JsonObject, startService } from '@scheduler/test-helpers/service'
import { DateTime } from 'luxon'
import t, { type Test } from 'tap'
import { inspector, waitForJobsFinished } from './fault-kit.js'

/** Three days ahead (UTC): auto events fill it from 00:00, so where each lands depends only on job order. */
const DAY = DateTime.utc().startOf('day').plus({ days: 3 })

/**
 * The burst, in arrival order: rounds of six 30-minute auto events on DAY, each round followed by two fixed
 * 30-minute events placed over times the autos of that round occupy (so they displace some), never over each
 * other. Reordering any two autos, or an auto and a fixed event, changes where events end up.
 */
function burst(): JsonObject[] {
  const requests: JsonObject[] = []
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 6; i++) {
      requests.push({ title: `auto ${round}.${i}`, durationMinutes: 30, date: DAY.toISODate() })
    }
    for (let j = 0; j < 2; j++) {
      const start = DAY.plus({ minutes: round * 180 + j * 90 + 15 })
      requests.push({ title: `fixed ${round}.${j}`, durationMinutes: 30, start: start.toISO() })
    }
  }
  return requests
}

interface Run {
  /** title → start offset from DAY's midnight in minutes, or the failure code. */
  layout: Map<string, string>
  jobs: number
  displacements: number
}

/**
 * Sends the burst one request after another (half before the workers start, half while they run) to a
 * fresh service with `workers` worker processes, then checks what the store holds.
 */
async function runWith(t: Test, workers: number): Promise<Run> {
  const service = await startService(t, {
    CALENDAR_WORKING_HOURS: 'mon-sun 00:00-24:00',
    CALENDAR_SLOT_MINUTES: '15',
    // Small batches: the burst takes many, handed out across the workers.
    PLACEMENT_BATCH_MAX: '3',
  })
  await service.startApi()
  const db = await inspector(t, service)
  const requests = burst()
  const jobIds: string[] = []
  const send = async (body: JsonObject) => {
    const answer = await service.call('POST', '/v1/events', { body })
    if (answer.status !== 202) throw new Error(`create answered ${answer.status}`)
    jobIds.push(answer.body.job.id)
  }
  const half = requests.length / 2
  for (const body of requests.slice(0, half)) await send(body)
  for (let i = 0; i < workers; i++) service.startWorker()
  for (const body of requests.slice(half)) await send(body)
  await waitForJobsFinished(db, requests.length, 90_000)

  t.same(await db.jobStates(), { completed: requests.length }, 'every job completed')
  t.equal(await db.overlaps(), 0, 'no overlap')
  const [pending] = await db.rows(`SELECT count(*) AS n FROM events WHERE status = 'pending'`)
  t.equal(Number(pending?.n), 0, 'no event left pending')

  // Arrival order: the jobs were sent one after another, so their creation order is the order they were
  // queued in. Each job's commit is the second change of its event in the change log (the first is the
  // API's insert); commits are serialised by the calendar's revision lock, so their log positions must rise
  // in arrival order.
  const jobs = await db.rows<{ id: string; event_id: string; outcome: JsonObject | null }>(
    'SELECT id, event_id, outcome FROM jobs ORDER BY created_at, id',
  )
  t.same(
    jobs.map((job) => job.id),
    jobIds,
    'jobs were created in the order they were sent',
  )
  const changes = await db.rows<{ event_id: string; positions: string[] }>(
    'SELECT event_id, array_agg(position ORDER BY position) AS positions FROM event_changes GROUP BY event_id',
  )
  const changesOf = new Map(changes.map((row) => [row.event_id, row.positions.map(Number)]))
  const commits = jobs.map((job) => changesOf.get(job.event_id)?.[1] ?? Number.NaN)
  const outOfOrder = commits.filter((position, i) => i > 0 && !(position > (commits[i - 1] ?? 0)))
  t.same(outOfOrder, [], 'each job committed after the one that arrived before it')

  // Applied once: an event's log has its insert, its placement and one row per displacement that moved it.
  const displacedTimes = new Map<string, number>()
  let displacements = 0
  for (const job of jobs) {
    for (const moved of job.outcome?.displaced ?? []) {
      displacedTimes.set(moved.eventId, (displacedTimes.get(moved.eventId) ?? 0) + 1)
      displacements++
    }
  }
  const extra = jobs.filter(
    (job) => changesOf.get(job.event_id)?.length !== 2 + (displacedTimes.get(job.event_id) ?? 0),
  )
  t.same(
    extra.map((job) => job.event_id),
    [],
    'every event written exactly once per job that touched it',
  )
  t.ok(displacements > 0, `${displacements} displacements`)

  const events = await service.store()
  const page = await events.listEvents('default', { limit: 500, order: 'start', now: Date.now() })
  const layout = new Map<string, string>()
  for (const event of page.items) {
    const at =
      event.start === null ? `failed:${event.failure?.code}` : String((event.start - DAY.toMillis()) / 60_000)
    layout.set(event.title, at)
  }
  return { layout, jobs: jobs.length, displacements }
}

t.test(
  'two and three workers place a burst with displacements as one worker does, in arrival order',
  async (t) => {
    const runs = new Map<number, Run>()
    for (const workers of [1, 2, 3]) {
      await t.test(`${workers} worker${workers > 1 ? 's' : ''} at once`, async (t) => {
        const run = await runWith(t, workers)
        runs.set(workers, run)
        t.comment(
          `faults/many-workers ${workers}: ${run.jobs} jobs, ${run.displacements} displacements, ` +
            `${run.layout.size} events`,
        )
      })
    }
    const reference = runs.get(1)
    for (const workers of [2, 3]) {
      t.same(
        Object.fromEntries(runs.get(workers)?.layout ?? []),
        Object.fromEntries(reference?.layout ?? []),
        `${workers} workers leave every event where one worker does`,
      )
    }
  },
)
