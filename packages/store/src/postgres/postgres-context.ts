import type pg from 'pg'
import { mapError } from './connection.js'

/** What every aggregate of the PostgreSQL adapter shares: the pool, and one-statement queries on it. */
export interface PostgresContext {
  pool: pg.Pool
  /** Runs one statement on a pooled connection and answers its rows; errors come back mapped (`mapError`). */
  query<R extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<R[]>
}

export function makePostgresContext(pool: pg.Pool): PostgresContext {
  async function query<R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
    try {
      const result = await pool.query<R>(text, params)
      return result.rows
    } catch (error) {
      throw mapError(error)
    }
  }
  return { pool, query }
}
