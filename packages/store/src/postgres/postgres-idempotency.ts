import type pg from 'pg'
import type { IdempotencyPort, IdempotencyRecord, IdempotencyWrite, IdempotentResult } from '../port.js'
import { inTransaction, type Queryable } from './connection.js'
import type { PostgresContext } from './postgres-context.js'
import {
  IDEMPOTENCY_KEYS,
  type IdempotencyRow,
  idempotencyFromRow,
  idempotencyToRow,
  placeholders,
  toTimestamp,
  valuesOf,
} from './rows.js'

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

/** Idempotency records on PostgreSQL: table `idempotency_keys`, written by each write's own transaction. */
export function makePostgresIdempotency(context: PostgresContext): IdempotencyPort {
  const { query } = context
  return {
    async findIdempotency(calendarId, key, now) {
      const rows = await query<IdempotencyRow>(
        `SELECT calendar_id, key, request_hash, response, created_at FROM idempotency_keys
         WHERE calendar_id = $1 AND key = $2 AND created_at > $3`,
        [calendarId, key, toTimestamp(now - IDEMPOTENCY_TTL_MS)],
      )
      return rows[0] === undefined ? null : idempotencyFromRow(rows[0])
    },
  }
}

/**
 * Records the idempotency key first, so a concurrent duplicate waits on the key and then replays.
 * Answers the stored record when an unexpired one exists (nothing is written then); an expired one is
 * replaced. `now` is the write's own `createdAt`.
 */
export async function claimIdempotency(
  client: Queryable,
  calendarId: string,
  write: IdempotencyWrite | undefined,
): Promise<IdempotencyRecord | null> {
  if (write === undefined) return null
  const { columns } = IDEMPOTENCY_KEYS
  const claimed = await client.query(
    `INSERT INTO idempotency_keys (${columns.join(', ')})
     VALUES (${placeholders(columns.length)})
     ON CONFLICT (calendar_id, key) DO UPDATE
       SET request_hash = EXCLUDED.request_hash, response = EXCLUDED.response, created_at = EXCLUDED.created_at
       WHERE idempotency_keys.created_at <= $${columns.length + 1}
     RETURNING key`,
    [
      ...valuesOf(IDEMPOTENCY_KEYS, idempotencyToRow(calendarId, write)),
      toTimestamp(write.createdAt - IDEMPOTENCY_TTL_MS),
    ],
  )
  if (claimed.rows.length > 0) return null
  const stored = await client.query<IdempotencyRow>(
    `SELECT calendar_id, key, request_hash, response, created_at FROM idempotency_keys
     WHERE calendar_id = $1 AND key = $2`,
    [calendarId, write.key],
  )
  const row = stored.rows[0]
  if (row === undefined) throw new Error(`Idempotency key ${write.key} vanished while it was being claimed`)
  return idempotencyFromRow(row)
}

/** Rolls back a deletion that found nothing, together with the key it claimed. */
class NothingDeleted extends Error {
  override name = 'NothingDeleted'
}

/**
 * Runs `remove` in a transaction that records the idempotency key first (as `claimIdempotency` does), so a
 * concurrent duplicate waits on the key and then replays. When `remove` finds nothing, the claim is rolled
 * back with it: a 404 records no key.
 */
export async function deleteIdempotently(
  pool: pg.Pool,
  calendarId: string,
  write: IdempotencyWrite | undefined,
  remove: (client: Queryable) => Promise<boolean>,
): Promise<IdempotentResult<boolean>> {
  try {
    return await inTransaction(pool, async (client): Promise<IdempotentResult<boolean>> => {
      const replay = await claimIdempotency(client, calendarId, write)
      if (replay !== null) return { kind: 'replay', record: replay }
      const deleted = await remove(client)
      if (!deleted && write !== undefined) throw new NothingDeleted()
      return { kind: 'done', value: deleted }
    })
  } catch (error) {
    if (error instanceof NothingDeleted) return { kind: 'done', value: false }
    throw error
  }
}
