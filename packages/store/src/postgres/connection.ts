import pg from 'pg'
import { DuplicateIdError, OverlapError, StoreUnavailableError } from '../port.js'
import { MIGRATIONS } from './migrations.js'

// Node's network errors and PostgreSQL's connection-exception class (08), shutdowns, "too many
// connections" and statement timeouts: the store is there but cannot answer now.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '57014',
  '53300',
])
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|connection terminated|query read timeout|connection timeout|cannot use a pool after calling end|is not queryable/i

const EXCLUSION_VIOLATION = '23P01'
const DUPLICATE_DATABASE = '42P04'
const UNIQUE_VIOLATION = '23505'
const INVALID_CATALOG_NAME = '3D000'

// Any constant works; it only has to be the same for every process that migrates this database.
const MIGRATION_LOCK_KEY = 7_302_119_455

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = errorCode(error)
  if (code !== undefined && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true
  return UNAVAILABLE_MESSAGES.test(error.message)
}

/** Translates driver errors into the port's errors; anything else passes through unchanged. */
export function mapError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || error instanceof OverlapError) return error
  if (errorCode(error) === EXCLUSION_VIOLATION) {
    return new OverlapError('An occupying event would overlap another one', { cause: error })
  }
  // A primary key refused the write: the same id in the same calendar (idempotency keys never get here,
  // their claim is an upsert).
  if (errorCode(error) === UNIQUE_VIOLATION) {
    return new DuplicateIdError('A record with this id exists already', { cause: error })
  }
  if (isUnavailable(error)) {
    return new StoreUnavailableError('PostgreSQL is unavailable', { cause: error })
  }
  return error
}

export type Queryable = Pick<pg.PoolClient, 'query'>

/**
 * Runs `work` in one transaction on one pooled connection, opened by `begin` (a `BEGIN` that may name the
 * transaction's mode); errors come back mapped.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  let broken: Error | undefined
  const onError = (error: Error) => {
    broken = error
  }
  let client: pg.PoolClient
  try {
    client = await checkout(pool, onError)
  } catch (error) {
    throw mapError(error)
  }
  try {
    await client.query(begin)
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    if (isUnavailable(error)) {
      broken = error as Error
    } else {
      // After a failed COMMIT the transaction is already gone; ROLLBACK then only warns.
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError as Error
      })
    }
    throw mapError(error)
  } finally {
    // A connection that failed mid-transaction is discarded rather than handed to the next caller.
    client.off('error', onError)
    client.release(broken)
  }
}

/**
 * A pooled connection with `onError` listening on it. The pool listens for errors on idle connections only:
 * a backend terminated while one is checked out (between two statements, or in the very socket read that
 * completed its connection, before an awaited `pool.connect()` would resume) would otherwise be an
 * unhandled 'error' event that ends the process. So the listener is added in the pool's callback, at once.
 */
function checkout(pool: pg.Pool, onError: (error: Error) => void): Promise<pg.PoolClient> {
  return new Promise((resolve, reject) => {
    pool.connect((error, client) => {
      if (error || !client) {
        reject(error ?? new Error('The pool answered no connection'))
        return
      }
      client.on('error', onError)
      resolve(client)
    })
  })
}

/**
 * Creates the database named in `url` unless it exists. Connects to the server's `postgres` database
 * for that, so only when the target is missing; a concurrent creator winning the race is fine.
 */
export async function ensureDatabase(url: string, connectTimeoutMs: number): Promise<void> {
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''))
  if (name === '') return
  try {
    await withClient(url, connectTimeoutMs, async () => {})
    return
  } catch (error) {
    if (errorCode(error) !== INVALID_CATALOG_NAME) throw mapError(error)
  }
  const admin = new URL(url)
  admin.pathname = '/postgres'
  try {
    await withClient(admin.toString(), connectTimeoutMs, async (client) => {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`)
    })
  } catch (error) {
    const code = errorCode(error)
    if (code !== DUPLICATE_DATABASE && code !== UNIQUE_VIOLATION) throw mapError(error)
  }
}

/** Applies the migrations not yet recorded in `schema_migrations`, all in one transaction. */
export async function migrate(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    // Serialises concurrent start-ups: the second one waits, then finds everything applied.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY])
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`)
    const applied = await client.query<{ version: number }>('SELECT version FROM schema_migrations')
    const done = new Set(applied.rows.map((row) => row.version))
    const pending = [...MIGRATIONS].filter((m) => !done.has(m.version)).sort((a, b) => a.version - b.version)
    for (const migration of pending) {
      await client.query(migration.sql)
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ])
    }
  })
}

async function withClient(
  url: string,
  connectTimeoutMs: number,
  work: (client: pg.Client) => Promise<void>,
): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs })
  // A socket error after connecting is reported by the pending query; without a listener it would crash.
  client.on('error', () => {})
  try {
    await client.connect()
    await work(client)
  } finally {
    await client.end().catch(() => {})
  }
}
