import type { EventRecord } from '@scheduler/core'
import type pg from 'pg'
import { mapError } from './connection.js'
import { type EventRow, eventFromRow } from './rows.js'
import { statementGroups } from './statement-groups.js'

// Reads of one statement, at most; and group statements in flight at once.
const MAX_GROUP = 500
const MAX_GROUPS_IN_FLIGHT = 4

interface EventKey {
  calendarId: string
  id: string
}

async function rowsOf<R extends pg.QueryResultRow>(pool: pg.Pool, config: pg.QueryConfig): Promise<R[]> {
  try {
    return (await pool.query<R>(config)).rows
  } catch (error) {
    throw mapError(error)
  }
}

async function readOne(pool: pg.Pool, key: EventKey): Promise<EventRecord | null> {
  const rows = await rowsOf<EventRow>(pool, {
    name: 'events:one',
    text: 'SELECT * FROM events WHERE calendar_id = $1 AND id = $2',
    values: [key.calendarId, key.id],
  })
  return rows[0] === undefined ? null : eventFromRow(rows[0])
}

/**
 * The events of many keys ($1 calendar ids, $2 ids), each found by primary key; `LIMIT 1` (one row anyway)
 * keeps the planner from making this a hash join that reads the whole table for every group of status polls.
 */
export const GROUP_READ_STATEMENT = `SELECT found.* FROM unnest($1::text[], $2::text[]) AS wanted(calendar_id, id)
  CROSS JOIN LATERAL (
    SELECT * FROM events WHERE events.calendar_id = wanted.calendar_id AND events.id = wanted.id LIMIT 1
  ) AS found`

async function readGroup(pool: pg.Pool, keys: EventKey[]): Promise<Array<EventRecord | null>> {
  const rows = await rowsOf<EventRow>(pool, {
    name: 'events:group',
    text: GROUP_READ_STATEMENT,
    values: [keys.map((key) => key.calendarId), keys.map((key) => key.id)],
  })
  const found = new Map(rows.map((row) => [`${row.calendar_id}\u0000${row.id}`, row]))
  return keys.map((key) => {
    const row = found.get(`${key.calendarId}\u0000${key.id}`)
    return row === undefined ? null : eventFromRow(row)
  })
}

/**
 * `Store.getEvent` in groups (`statementGroups`): the lookups made together (the status polls of many
 * clients) share one statement. Each answers what a statement begun after it was asked saw, as alone.
 */
export function createEventReader(
  pool: pg.Pool,
): (calendarId: string, id: string) => Promise<EventRecord | null> {
  const read = statementGroups<EventKey, EventRecord | null>(
    (keys) => readGroup(pool, keys),
    (key) => readOne(pool, key),
    () => false,
    { maxGroup: MAX_GROUP, maxInFlight: MAX_GROUPS_IN_FLIGHT },
  )
  return (calendarId, id) => read({ calendarId, id })
}
