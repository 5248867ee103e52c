import pg from 'pg'
import type { Store } from '../port.js'
import { ensureDatabase, migrate } from './connection.js'
import { makePostgresAttachments } from './postgres-attachments.js'
import { makePostgresBusyTimes } from './postgres-busy-times.js'
import { makePostgresCalendars } from './postgres-calendars.js'
import { makePostgresContext } from './postgres-context.js'
import { makePostgresEvents } from './postgres-events.js'
import { makePostgresFeedTokens } from './postgres-feed-tokens.js'
import { makePostgresHousekeeping } from './postgres-housekeeping.js'
import { makePostgresIdempotency } from './postgres-idempotency.js'
import { makePostgresPlacement } from './postgres-placement.js'
import { makePostgresWebhooks } from './postgres-webhooks.js'
import { storeTypes } from './timestamptz.js'

export interface PostgresStoreOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number
  /**
   * How long to wait for a connection before failing with `StoreUnavailableError` (default 2000, or
   * `queryTimeoutMs` when that is shorter).
   */
  connectTimeoutMs?: number
  /**
   * How long one statement may take, in ms, before it fails with `StoreUnavailableError` (default 10000):
   * the client gives up then on a server that stopped answering; the server cancels a statement that
   * runs that long itself a little earlier.
   */
  queryTimeoutMs?: number
}

/**
 * Opens the PostgreSQL adapter: creates the database named in `url` when it is missing, applies the
 * migrations (safe when several processes start at once) and answers a store backed by a connection pool.
 * Rejects with `StoreUnavailableError` when the server cannot be reached.
 */
export async function createPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const queryTimeoutMs = options.queryTimeoutMs ?? 10_000
  const connectTimeoutMs = options.connectTimeoutMs ?? Math.min(2000, queryTimeoutMs)
  await ensureDatabase(url, connectTimeoutMs)
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
    // The client-side limit catches a server that stopped answering; the server's own limit fires first.
    statement_timeout: Math.max(1, Math.floor(queryTimeoutMs * 0.9)),
    query_timeout: queryTimeoutMs,
    idleTimeoutMillis: 30_000,
    types: storeTypes,
  })
  // An idle connection that dies (server restart) is dropped by the pool; the next query reports it.
  pool.on('error', () => {})
  try {
    await migrate(pool)
  } catch (error) {
    await pool.end()
    throw error
  }
  return makePostgresStore(pool)
}

function makePostgresStore(pool: pg.Pool): Store {
  const context = makePostgresContext(pool)
  let closed = false
  return {
    async ping() {
      await context.query('SELECT 1')
    },

    async close() {
      if (closed) return
      closed = true
      await pool.end()
    },

    ...makePostgresCalendars(context),
    ...makePostgresEvents(context),
    ...makePostgresPlacement(context),
    ...makePostgresBusyTimes(context),
    ...makePostgresAttachments(context),
    ...makePostgresWebhooks(context),
    ...makePostgresIdempotency(context),
    ...makePostgresFeedTokens(context),
    ...makePostgresHousekeeping(context),
  }
}
