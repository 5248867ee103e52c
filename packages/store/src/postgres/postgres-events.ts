import type { EventPort, Submission } from '../port.js'
import { listEventsPage, syncEventsPage } from './event-sync.js'
import type { PostgresContext } from './postgres-context.js'
import { createEventReader } from './postgres-event-reads.js'
import { createGroupSubmitter } from './postgres-submit.js'
import { type EventRow, eventFromRow, type JobRow, jobFromRow, toTimestamp } from './rows.js'

/** The events-and-jobs aggregate on PostgreSQL: intake, reads, sync (tables `events`, `jobs`, the change log). */
export function makePostgresEvents(context: PostgresContext): EventPort {
  const { pool, query } = context
  // Concurrent creates share one statement and one commit; concurrent status reads share one statement
  const submitGrouped = createGroupSubmitter(pool)
  const readEvent = createEventReader(pool)
  return {
    async submit(submission: Submission) {
      return submitGrouped(submission)
    },

    async getEvent(calendarId, id) {
      return readEvent(calendarId, id)
    },

    async listEvents(calendarId, listQuery) {
      return listEventsPage(pool, calendarId, listQuery)
    },

    async syncEvents(calendarId, syncQuery) {
      return syncEventsPage(pool, calendarId, syncQuery)
    },

    async occupying(calendarId, range) {
      if (range.end < range.start) return []
      const rows = await query<EventRow>(
        `SELECT * FROM events
         WHERE calendar_id = $1 AND status = 'scheduled'
           AND tstzrange(start_at, end_at, '[)') && tstzrange($2::timestamptz, $3::timestamptz, '[)')
         ORDER BY start_at, id`,
        [calendarId, toTimestamp(range.start), toTimestamp(range.end)],
      )
      return rows.map(eventFromRow)
    },

    async getJob(calendarId, id) {
      const rows = await query<JobRow>('SELECT * FROM jobs WHERE calendar_id = $1 AND id = $2', [
        calendarId,
        id,
      ])
      return rows[0] === undefined ? null : jobFromRow(rows[0])
    },

    async startJob(calendarId, jobId) {
      const started = await query<JobRow>(
        `UPDATE jobs SET state = 'active' WHERE calendar_id = $1 AND id = $2 AND state = 'queued'
         RETURNING *`,
        [calendarId, jobId],
      )
      const row =
        started[0] ??
        (await query<JobRow>('SELECT * FROM jobs WHERE calendar_id = $1 AND id = $2', [calendarId, jobId]))[0]
      return row === undefined ? null : jobFromRow(row)
    },

    async unfinishedJobs(createdBefore, limit) {
      const rows = await query<JobRow>(
        `SELECT * FROM jobs WHERE state IN ('queued', 'active') AND created_at < $1
         ORDER BY created_at, id LIMIT $2`,
        [toTimestamp(createdBefore), limit],
      )
      return rows.map(jobFromRow)
    },
  }
}
