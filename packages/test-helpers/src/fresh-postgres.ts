import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The server the tests use; any database on it works as the base (its name is replaced). */
export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface FreshDatabase {
  url: string
  name: string
  /** Terminates the database's connections and drops it. */
  drop: () => Promise<void>
}

interface Teardown {
  teardown: (fn: () => unknown) => void
}

/**
 * A uniquely named database on the test server. `create: false` only reserves the name (to test that the
 * store creates it); `drop` removes it either way.
 */
export async function createFreshDatabase(options: { create?: boolean } = {}): Promise<FreshDatabase> {
  const name = `sched_test_${process.pid}_${randomBytes(5).toString('hex')}`
  const url = databaseUrl(name)
  if (options.create !== false) {
    await withAdmin(async (client) => {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`)
    })
  }
  return { url, name, drop: () => dropDatabase(name) }
}

/** A fresh database for one test, dropped in its teardown; answers the URL. */
export async function freshPostgres(t: Teardown, options: { create?: boolean } = {}): Promise<string> {
  const database = await createFreshDatabase(options)
  t.teardown(database.drop)
  return database.url
}

export function databaseUrl(name: string): string {
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${encodeURIComponent(name)}`
  return url.toString()
}

async function dropDatabase(name: string): Promise<void> {
  await withAdmin(async (client) => {
    await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    )
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`)
  })
}

async function withAdmin(work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    await work(client)
  } finally {
    await client.end()
  }
}
