import type { Interval } from '@scheduler/core'
import type { BusyTimePort, IdempotentResult } from '../port.js'
import { inTransaction } from './connection.js'
import type { PostgresContext } from './postgres-context.js'
import { claimIdempotency } from './postgres-idempotency.js'
import { bumpRevision } from './postgres-placement.js'
import { type IntervalRow, intervalFromRow, toTimestamp } from './rows.js'

/** The attendees' busy-times aggregate on PostgreSQL: table `attendee_busy`. */
export function makePostgresBusyTimes(context: PostgresContext): BusyTimePort {
  const { pool, query } = context
  return {
    async putBusy(calendarId, email, busy, idempotency) {
      return inTransaction(pool, async (client): Promise<IdempotentResult<Interval[]>> => {
        const replay = await claimIdempotency(client, calendarId, idempotency)
        if (replay !== null) return { kind: 'replay', record: replay }
        const address = email.toLowerCase()
        await bumpRevision(client, calendarId)
        await client.query('DELETE FROM attendee_busy WHERE calendar_id = $1 AND email = $2', [
          calendarId,
          address,
        ])
        if (busy.length > 0) {
          await client.query(
            `INSERT INTO attendee_busy (calendar_id, email, start_at, end_at)
             SELECT $1, $2, s, e FROM unnest($3::timestamptz[], $4::timestamptz[]) AS t(s, e)`,
            [calendarId, address, busy.map((b) => toTimestamp(b.start)), busy.map((b) => toTimestamp(b.end))],
          )
        }
        return { kind: 'done', value: busy }
      })
    },

    async getBusy(calendarId, email) {
      const rows = await query<IntervalRow>(
        `SELECT start_at, end_at FROM attendee_busy WHERE calendar_id = $1 AND email = $2
         ORDER BY start_at, end_at`,
        [calendarId, email.toLowerCase()],
      )
      return rows.map(intervalFromRow)
    },

    async busyOverlapping(calendarId, emails, range) {
      if (emails.length === 0) return []
      const rows = await query<IntervalRow>(
        `SELECT start_at, end_at FROM attendee_busy
         WHERE calendar_id = $1 AND email = ANY($2::text[]) AND start_at < $4 AND end_at > $3
         ORDER BY start_at, end_at`,
        [calendarId, emails.map((e) => e.toLowerCase()), toTimestamp(range.start), toTimestamp(range.end)],
      )
      return rows.map(intervalFromRow)
    },
  }
}
