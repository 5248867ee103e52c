import { anEvent } from '@scheduler/test-helpers/builders'
import { freshPostgres } from '@scheduler/test-helpers/fresh-postgres'
import pg from 'pg'
import t from 'tap'
import { FEED_TOKENS } from '../src/postgres/postgres-feed-tokens.js'
import { createPostgresStore } from '../src/postgres/postgres-store.js'
import {
  ATTACHMENTS,
  DELIVERIES,
  EVENTS,
  eventToRow,
  IDEMPOTENCY_KEYS,
  JOBS,
  MESSAGES,
  type RowOf,
  table,
  valuesOf,
  WEBHOOKS,
} from '../src/postgres/rows.js'

t.test('every table the store writes is declared with exactly the columns the migrations made', async (t) => {
  const url = await freshPostgres(t)
  await (await createPostgresStore(url)).close()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.teardown(() => client.end())
  for (const declared of [
    EVENTS,
    JOBS,
    WEBHOOKS,
    MESSAGES,
    DELIVERIES,
    ATTACHMENTS,
    IDEMPOTENCY_KEYS,
    FEED_TOKENS,
  ]) {
    const { rows } = await client.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = $1
         AND is_generated = 'NEVER' AND is_identity = 'NO' -- the database writes those itself`,
      [declared.name],
    )
    t.strictSame([...declared.columns].sort(), rows.map((row) => row.column_name).sort(), declared.name)
  }
})

t.test('a row is bound by column name, whatever the order of its keys', async (t) => {
  const row = eventToRow(anEvent())
  const reversed = Object.fromEntries(Object.entries(row).reverse()) as RowOf<typeof EVENTS>
  t.strictSame(valuesOf(EVENTS, reversed), valuesOf(EVENTS, row))
  t.equal(valuesOf(EVENTS, row)[EVENTS.columns.indexOf('title')], row.title)
})

t.test('a table declaration names every column of its row type and no other (checked by tsc)', async (t) => {
  interface Row {
    id: string
    created_at: Date
  }
  t.strictSame(table<Row>('things', { id: true, created_at: true }).columns, ['id', 'created_at'])
  // @ts-expect-error: `created_at` is missing.
  table<Row>('things', { id: true })
  // @ts-expect-error: `updated_at` is no column of Row.
  table<Row>('things', { id: true, created_at: true, updated_at: true })
  // @ts-expect-error: a row to write names every column.
  const partial: RowOf<typeof EVENTS> = { id: 'evt_1' }
  t.ok(partial)
})
