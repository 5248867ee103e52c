import type pg from 'pg'
import type { IdempotencyRecord, Store, Submission } from '../port.js'
import { mapError } from './connection.js'
import {
  EVENT_COLUMNS,
  eventFromRecord,
  type IdempotencyRow,
  idempotencyToRecord,
  JOB_COLUMNS,
  jobFromRecord,
  toJson,
  toTimestamp,
} from './rows.js'

type SubmitResult = Awaited<ReturnType<Store['submit']>>

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

// Parameters inside `INSERT … SELECT` carry no column type: each is cast to its column's type.
const COLUMN_TYPES: Record<string, string> = {
  calendar_id: 'text',
  id: 'text',
  title: 'text',
  description: 'text',
  location: 'text',
  attendees: 'jsonb',
  duration_minutes: 'integer',
  placement: 'text',
  placement_window: 'jsonb',
  requested_start: 'timestamptz',
  start_at: 'timestamptz',
  end_at: 'timestamptz',
  status: 'text',
  failure: 'jsonb',
  attendee_conflicts: 'jsonb',
  outside_working_hours: 'boolean',
  version: 'integer',
  sequence: 'integer',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  type: 'text',
  event_id: 'text',
  state: 'text',
  payload: 'jsonb',
  outcome: 'jsonb',
  error: 'jsonb',
  finished_at: 'timestamptz',
}

function typedParameters(columns: readonly string[], offset: number): string {
  return columns
    .map((column, i) => {
      const type = COLUMN_TYPES[column]
      if (type === undefined) throw new Error(`postgres-submit: no type for column ${column}`)
      return `$${offset + i + 1}::${type}`
    })
    .join(', ')
}

/**
 * The statement of one submission: the idempotency claim (when there is a key) and the inserts of the
 * event (a create) and the job, as data-modifying CTEs of ONE statement, so one round trip and one
 * transaction. The inserts run only when the key was claimed; the main query answers whether it was, and
 * the stored record it met otherwise (as this statement's snapshot saw it).
 */
function submitStatement(withEvent: boolean, withKey: boolean): pg.QueryConfig['text'] {
  const parts: string[] = []
  let offset = 0
  if (withKey) {
    parts.push(`claim AS (
      INSERT INTO idempotency_keys (calendar_id, key, request_hash, response, created_at)
      VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (calendar_id, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, response = EXCLUDED.response, created_at = EXCLUDED.created_at
        WHERE idempotency_keys.created_at <= $6
      RETURNING key)`)
    offset = 6
  }
  const when = withKey ? 'WHERE EXISTS (SELECT 1 FROM claim)' : ''
  if (withEvent) {
    parts.push(`new_event AS (
      INSERT INTO events (${EVENT_COLUMNS.join(', ')})
      SELECT ${typedParameters(EVENT_COLUMNS, offset)} ${when})`)
    offset += EVENT_COLUMNS.length
  }
  parts.push(`new_job AS (
      INSERT INTO jobs (${JOB_COLUMNS.join(', ')})
      SELECT ${typedParameters(JOB_COLUMNS, offset)} ${when})`)
  const answer = withKey
    ? `SELECT claim.key IS NOT NULL AS claimed, stored.calendar_id, stored.key, stored.request_hash,
         stored.response, stored.created_at
       FROM (SELECT 1) AS one
       LEFT JOIN claim ON true
       LEFT JOIN idempotency_keys AS stored
         ON claim.key IS NULL AND stored.calendar_id = $1 AND stored.key = $2`
    : 'SELECT true AS claimed'
  return `WITH ${parts.join(',\n')}\n${answer}`
}

// Four shapes (event or not, key or not), each a named prepared statement: parsed once per connection.
const STATEMENTS = new Map<string, string>()
for (const withEvent of [true, false]) {
  for (const withKey of [true, false]) {
    STATEMENTS.set(
      `submit:${withEvent ? 'event' : 'job'}:${withKey ? 'key' : 'nokey'}`,
      submitStatement(withEvent, withKey),
    )
  }
}

interface SubmitRow extends Partial<IdempotencyRow> {
  claimed: boolean
}

/**
 * `Store.submit` in one round trip: the idempotency claim, the event (for a create) and the job written by
 * one statement (so atomically, with the exclusion constraint checked at its commit). A key claimed
 * concurrently by a transaction that committed after this statement began is read by a second query (the
 * rare race: two requests with the same key at once).
 */
export async function submitInOneStatement(pool: pg.Pool, submission: Submission): Promise<SubmitResult> {
  const { calendarId, job, event, idempotency } = submission
  const withEvent = event !== undefined
  const withKey = idempotency !== undefined
  const name = `submit:${withEvent ? 'event' : 'job'}:${withKey ? 'key' : 'nokey'}`
  const values: unknown[] = withKey
    ? [
        calendarId,
        idempotency.key,
        idempotency.requestHash,
        toJson(idempotency.response),
        toTimestamp(idempotency.createdAt),
        toTimestamp(idempotency.createdAt - IDEMPOTENCY_TTL_MS),
      ]
    : []
  if (withEvent) values.push(...eventFromRecord(event))
  values.push(...jobFromRecord(job))
  let row: SubmitRow | undefined
  try {
    const result = await pool.query<SubmitRow>({ name, text: STATEMENTS.get(name) as string, values })
    row = result.rows[0]
  } catch (error) {
    throw mapError(error)
  }
  if (row?.claimed) return { kind: 'done', value: { job, event: event ?? null } }
  if (row?.key != null) return { kind: 'replay', record: idempotencyToRecord(row as IdempotencyRow) }
  return { kind: 'replay', record: await storedRecord(pool, calendarId, idempotency?.key as string) }
}

async function storedRecord(pool: pg.Pool, calendarId: string, key: string): Promise<IdempotencyRecord> {
  let rows: IdempotencyRow[]
  try {
    const result = await pool.query<IdempotencyRow>(
      `SELECT calendar_id, key, request_hash, response, created_at FROM idempotency_keys
       WHERE calendar_id = $1 AND key = $2`,
      [calendarId, key],
    )
    rows = result.rows
  } catch (error) {
    throw mapError(error)
  }
  const row = rows[0]
  if (row === undefined) throw new Error(`Idempotency key ${key} vanished while it was being claimed`)
  return idempotencyToRecord(row)
}
