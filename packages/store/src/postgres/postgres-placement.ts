import {
  type Attendee,
  type CalendarSnapshot,
  type Interval,
  type JobPlan,
  type PlacedEvent,
  type Placement,
  planJobFailure,
} from '@scheduler/core'
import type pg from 'pg'
import {
  type PlacementPort,
  type PlanBatch,
  RevisionMovedError,
  StaleJobError,
  type StorePlan,
} from '../port.js'
import { errorCode, inTransaction, type Queryable } from './connection.js'
import type { PostgresContext } from './postgres-context.js'
import {
  type CalendarRow,
  calendarFromRow,
  EVENTS,
  type EventRow,
  eventFromRow,
  eventToRow,
  type IntervalRow,
  insertColumns,
  insertRows,
  intervalFromRow,
  type JobRow,
  jobFromRow,
  MESSAGES,
  messageToRow,
  toJson,
  toTimestamp,
  updatesExcept,
} from './rows.js'

// Two plans that wait on each other (their commit-time overlap checks, or rows they both move) can
// be aborted by PostgreSQL's deadlock detector; running the plan again then sees the winner's rows and
// either succeeds or fails cleanly with OverlapError.
const DEADLOCK_DETECTED = '40P01'
const SERIALIZATION_FAILURE = '40001'
const PLAN_ATTEMPTS = 5
// Rows per page when the placement worker loads a calendar.
const SNAPSHOT_PAGE = 5000

const EVENT_UPDATES = updatesExcept(EVENTS, ['calendar_id', 'id'])

/** The placement aggregate on PostgreSQL: what the worker plans against and the plans it applies, each in one transaction. */
export function makePostgresPlacement(context: PostgresContext): PlacementPort {
  const { pool, query } = context
  return {
    async applyPlan(plan) {
      for (let attempt = 1; ; attempt++) {
        try {
          await inTransaction(pool, (client) => writePlan(client, plan))
          return
        } catch (error) {
          const code = errorCode(error)
          const retryable = code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE
          if (!retryable || attempt >= PLAN_ATTEMPTS) throw error
        }
      }
    },

    async applyPlans(batch) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await inTransaction(pool, (client) => writePlans(client, batch))
        } catch (error) {
          const code = errorCode(error)
          const retryable = code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE
          if (!retryable || attempt >= PLAN_ATTEMPTS) throw error
        }
      }
    },

    async loadCalendar(calendarId, from) {
      // One snapshot: the revision read here is the one the events and busy times belong to.
      return inTransaction(pool, async (client): Promise<CalendarSnapshot | null> => {
        await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
        const calendar = await client.query<CalendarRow & { revision: string }>(
          'SELECT calendar_id, settings, revision FROM calendars WHERE calendar_id = $1',
          [calendarId],
        )
        const row = calendar.rows[0]
        if (row === undefined) return null
        // Only what placement reads (no titles, descriptions…), times as epoch ms numbers, no attendee
        // list where there is none, through a cursor: one scan, and one page of driver rows held at a time
        // next to the placements the calendar keeps.
        await client.query({
          text: `DECLARE placements NO SCROLL CURSOR FOR
             SELECT id, (extract(epoch FROM start_at) * 1000)::float8, (extract(epoch FROM end_at) * 1000)::float8,
               placement, CASE WHEN attendees = '[]'::jsonb THEN NULL ELSE attendees END
             FROM events WHERE calendar_id = $1 AND status = 'scheduled' AND end_at > $2
             ORDER BY start_at, id`,
          values: [calendarId, toTimestamp(from)],
        })
        const events: PlacedEvent[] = []
        for (;;) {
          const page = await client.query<PlacementRow>({
            text: `FETCH ${SNAPSHOT_PAGE} FROM placements`,
            rowMode: 'array',
          })
          for (const [id, start, end, placement, attendees] of page.rows)
            events.push({ id, start, end, placement, attendees: attendees ?? NO_ATTENDEES })
          if (page.rows.length < SNAPSHOT_PAGE) break
        }
        const busyRows = await client.query<IntervalRow & { email: string }>(
          `SELECT email, start_at, end_at FROM attendee_busy WHERE calendar_id = $1
           ORDER BY email, start_at, end_at`,
          [calendarId],
        )
        const busy = new Map<string, Interval[]>()
        for (const b of busyRows.rows) {
          const list = busy.get(b.email) ?? []
          list.push(intervalFromRow(b))
          busy.set(b.email, list)
        }
        return {
          settings: calendarFromRow(row),
          revision: Number(row.revision),
          from,
          events,
          busy,
        }
      })
    },

    async loadJobs(calendarId, jobIds, eventIds = []) {
      const jobRows =
        jobIds.length === 0
          ? []
          : await query<JobRow>('SELECT * FROM jobs WHERE calendar_id = $1 AND id = ANY($2::text[])', [
              calendarId,
              jobIds,
            ])
      const byId = new Map(jobRows.map((row) => [row.id, jobFromRow(row)]))
      const jobs = jobIds.flatMap((id) => byId.get(id) ?? [])
      const wanted = [...new Set([...jobs.map((job) => job.eventId), ...eventIds])]
      if (wanted.length === 0) return { jobs, events: [] }
      const eventRows = await query<EventRow>(
        'SELECT * FROM events WHERE calendar_id = $1 AND id = ANY($2::text[])',
        [calendarId, wanted],
      )
      return { jobs, events: eventRows.map(eventFromRow) }
    },

    async failJob(calendarId, jobId, error, at, toMessage) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await inTransaction(pool, async (client): Promise<JobPlan | null> => {
            const locked = await client.query<JobRow>(
              'SELECT * FROM jobs WHERE calendar_id = $1 AND id = $2 FOR UPDATE',
              [calendarId, jobId],
            )
            const job = locked.rows[0] === undefined ? null : jobFromRow(locked.rows[0])
            // A job that is already finished keeps its outcome.
            if (job === null || job.state === 'completed' || job.state === 'failed') return null
            const found = await client.query<EventRow>(
              'SELECT * FROM events WHERE calendar_id = $1 AND id = $2 FOR UPDATE',
              [calendarId, job.eventId],
            )
            const event = found.rows[0] === undefined ? null : eventFromRow(found.rows[0])
            const plan = planJobFailure({ job, event, error, now: at })
            await writePlan(client, {
              calendarId,
              jobId,
              upserts: plan.upserts,
              deletions: plan.deletions,
              job: { ...plan.job, finishedAt: at },
              messages: plan.notifications.map((notification) => toMessage(notification, at)),
            })
            return plan
          })
        } catch (failure) {
          const code = errorCode(failure)
          const retryable = code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE
          if (!retryable || attempt >= PLAN_ATTEMPTS) throw failure
        }
      }
    },
  }
}

/** Bumps the calendar's revision (see migration 3): the placement worker's calendar is then stale. */
export async function bumpRevision(client: Queryable, calendarId: string): Promise<number | null> {
  const bumped = await client.query<{ revision: string }>(
    'UPDATE calendars SET revision = revision + 1 WHERE calendar_id = $1 RETURNING revision',
    [calendarId],
  )
  const row = bumped.rows[0]
  return row === undefined ? null : Number(row.revision)
}

/**
 * The results of a batch's jobs ($1 calendar id; per job $2 id, $3 state, $4 outcome, $5 error, $6 finished
 * at). `j.id = ANY($2)` lets the planner find the jobs by primary key; joined on `v.id` alone it read every
 * job of the calendar per batch (measured: a sequential scan of 10,000 jobs to update 50).
 */
export const JOB_RESULTS_STATEMENT = `UPDATE jobs AS j
  SET state = v.state, outcome = v.outcome, error = v.error, finished_at = v.finished_at
  FROM unnest($2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::timestamptz[])
    AS v(id, state, outcome, error, finished_at)
  WHERE j.calendar_id = $1 AND j.id = ANY($2::text[]) AND j.id = v.id`

/**
 * A batch of plans in set-based statements: the revision check (the calendar row locked until commit),
 * the jobs locked and checked, then one upsert of every event's last record, one deletion, one update of
 * the jobs and one insert of the outbox messages in plan order, and the revision bumped.
 */
async function writePlans(client: pg.PoolClient, batch: PlanBatch): Promise<{ revision: number }> {
  const { calendarId, plans } = batch
  const locked = await client.query<{ revision: string }>(
    'SELECT revision FROM calendars WHERE calendar_id = $1 FOR UPDATE',
    [calendarId],
  )
  const current = locked.rows[0]
  if (current === undefined) throw new Error(`Calendar ${calendarId} does not exist`)
  if (Number(current.revision) !== batch.expectedRevision) {
    throw new RevisionMovedError(
      `Calendar ${calendarId} is at revision ${current.revision}, the plans were made at ${batch.expectedRevision}`,
    )
  }
  const jobIds = plans.map((plan) => plan.jobId)
  const states = await client.query<{ id: string; state: string }>(
    'SELECT id, state FROM jobs WHERE calendar_id = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE',
    [calendarId, jobIds],
  )
  const stateOf = new Map(states.rows.map((row) => [row.id, row.state]))
  for (const jobId of jobIds) {
    const state = stateOf.get(jobId)
    if (state === undefined) throw new Error(`Job ${jobId} does not exist in calendar ${calendarId}`)
    if (state === 'completed' || state === 'failed')
      throw new StaleJobError(`Job ${jobId} is already ${state}`)
  }
  // The calendar after every plan in order: the last record of each event, or its deletion.
  const final = new Map<string, StorePlan['upserts'][number] | null>()
  for (const plan of plans) {
    for (const event of plan.upserts) final.set(event.id, event)
    for (const id of plan.deletions) final.set(id, null)
  }
  const upserts = [...final.values()].flatMap((event) => (event === null ? [] : [event]))
  const deletions = [...final.entries()].flatMap(([id, event]) => (event === null ? [id] : []))
  await insertColumns(
    client,
    EVENTS,
    upserts.map(eventToRow),
    `ON CONFLICT (calendar_id, id) DO UPDATE SET ${EVENT_UPDATES}`,
  )
  if (deletions.length > 0) {
    await client.query('DELETE FROM events WHERE calendar_id = $1 AND id = ANY($2::text[])', [
      calendarId,
      deletions,
    ])
  }
  await client.query(JOB_RESULTS_STATEMENT, [
    calendarId,
    jobIds,
    plans.map((plan) => plan.job.state),
    plans.map((plan) => (plan.job.outcome === null ? null : toJson(plan.job.outcome))),
    plans.map((plan) => (plan.job.error === null ? null : toJson(plan.job.error))),
    plans.map((plan) => toTimestamp(plan.job.finishedAt)),
  ])
  await insertColumns(
    client,
    MESSAGES,
    plans.flatMap((plan) => plan.messages.map(messageToRow)),
  )
  const revision = await bumpRevision(client, calendarId)
  return { revision: revision ?? batch.expectedRevision + 1 }
}

async function writePlan(client: pg.PoolClient, plan: StorePlan): Promise<void> {
  const { calendarId, jobId } = plan
  const locked = await client.query<{ state: string }>(
    'SELECT state FROM jobs WHERE calendar_id = $1 AND id = $2 FOR UPDATE',
    [calendarId, jobId],
  )
  const state = locked.rows[0]?.state
  if (state === undefined) throw new Error(`Job ${jobId} does not exist in calendar ${calendarId}`)
  if (state === 'completed' || state === 'failed') {
    throw new StaleJobError(`Job ${jobId} is already ${state}`)
  }
  // One row per id: an upsert statement may not touch the same row twice; the last record wins.
  const upserts = [...new Map(plan.upserts.map((e) => [e.id, e])).values()]
  await insertRows(
    client,
    EVENTS,
    upserts.map(eventToRow),
    `ON CONFLICT (calendar_id, id) DO UPDATE SET ${EVENT_UPDATES}`,
  )
  if (plan.deletions.length > 0) {
    // Their attachments go with them (attachments_event_fk cascades), in this transaction.
    await client.query('DELETE FROM events WHERE calendar_id = $1 AND id = ANY($2::text[])', [
      calendarId,
      plan.deletions,
    ])
  }
  await client.query(
    `UPDATE jobs SET state = $3, outcome = $4, error = $5, finished_at = $6
     WHERE calendar_id = $1 AND id = $2`,
    [
      calendarId,
      jobId,
      plan.job.state,
      plan.job.outcome === null ? null : toJson(plan.job.outcome),
      plan.job.error === null ? null : toJson(plan.job.error),
      toTimestamp(plan.job.finishedAt),
    ],
  )
  await insertRows(client, MESSAGES, plan.messages.map(messageToRow))
  // A plan from outside the worker's batches (or another worker): the worker's calendar must reload.
  await bumpRevision(client, calendarId)
}

/** An occupying event as `loadCalendar` reads it: id, start and end (epoch ms), placement, attendees. */
type PlacementRow = [string, number, number, Placement, Attendee[] | null]

/** Shared by every loaded event without attendees. */
const NO_ATTENDEES: readonly never[] = Object.freeze([])
