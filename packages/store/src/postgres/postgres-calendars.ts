import type { CalendarSettings } from '@scheduler/core'
import type { CalendarSettingsPort, IdempotentResult } from '../port.js'
import { inTransaction } from './connection.js'
import type { PostgresContext } from './postgres-context.js'
import { claimIdempotency } from './postgres-idempotency.js'
import { type CalendarRow, calendarFromRow, toJson } from './rows.js'

/** The calendar-settings aggregate on PostgreSQL: table `calendars` (its `revision` is the placement's). */
export function makePostgresCalendars(context: PostgresContext): CalendarSettingsPort {
  const { pool, query } = context
  return {
    async getCalendar(calendarId) {
      const rows = await query<CalendarRow>(
        'SELECT calendar_id, settings FROM calendars WHERE calendar_id = $1',
        [calendarId],
      )
      return rows[0] === undefined ? null : calendarFromRow(rows[0])
    },

    async ensureCalendar(initial) {
      const rows = await query<CalendarRow>(
        `WITH inserted AS (
           INSERT INTO calendars (calendar_id, settings) VALUES ($1, $2)
           ON CONFLICT (calendar_id) DO NOTHING
           RETURNING calendar_id, settings
         )
         SELECT calendar_id, settings FROM inserted
         UNION ALL
         SELECT calendar_id, settings FROM calendars WHERE calendar_id = $1
         LIMIT 1`,
        [initial.id, toJson(initial)],
      )
      if (rows[0] !== undefined) return calendarFromRow(rows[0])
      // A concurrent insert committed after this statement's snapshot: read it now.
      const stored = await query<CalendarRow>(
        'SELECT calendar_id, settings FROM calendars WHERE calendar_id = $1',
        [initial.id],
      )
      return stored[0] === undefined ? initial : calendarFromRow(stored[0])
    },

    async putCalendar(settings, idempotency) {
      return inTransaction(pool, async (client): Promise<IdempotentResult<CalendarSettings>> => {
        const replay = await claimIdempotency(client, settings.id, idempotency)
        if (replay !== null) return { kind: 'replay', record: replay }
        await client.query(
          `INSERT INTO calendars (calendar_id, settings, updated_at) VALUES ($1, $2, now())
           ON CONFLICT (calendar_id) DO UPDATE
             SET settings = EXCLUDED.settings, updated_at = now(), revision = calendars.revision + 1`,
          [settings.id, toJson(settings)],
        )
        return { kind: 'done', value: settings }
      })
    },
  }
}
