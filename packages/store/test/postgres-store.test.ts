import net from 'node:net'
import { aCalendar, aJob, aPlan, aScheduledEvent, T0 } from '@scheduler/test-helpers/builders'
import { createFreshDatabase, databaseUrl, freshPostgres } from '@scheduler/test-helpers/fresh-postgres'
import { tcpProxy } from '@scheduler/test-helpers/tcp-proxy'
import pg from 'pg'
import t from 'tap'
import { openStore } from '../src/open-store.js'
import { StoreUnavailableError } from '../src/port.js'
import { MIGRATIONS } from '../src/postgres/migrations.js'
import { createPostgresStore } from '../src/postgres/postgres-store.js'
import { conformanceSuite } from './conformance.js'

conformanceSuite(t, 'postgres', async (options = {}) => {
  const database = await createFreshDatabase()
  const server = new URL(database.url)
  const proxy =
    options.proxy === undefined
      ? undefined
      : await tcpProxy(options.proxy, { host: server.hostname, port: Number(server.port || 5432) })
  const store = await openStore(
    proxy === undefined ? database.url : proxy.via(database.url),
    options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
  )
  return {
    store,
    ...(proxy === undefined ? {} : { proxy }),
    cleanup: async () => {
      // The proxy first: a store cannot close connections that a stalled proxy holds.
      await proxy?.cut()
      await store.close()
      await database.drop()
    },
  }
})

t.test('two stores opening a missing database at once create it and migrate it once', async (t) => {
  const url = await freshPostgres(t, { create: false })
  const stores = await Promise.all([createPostgresStore(url), createPostgresStore(url)])
  t.teardown(() => Promise.all(stores.map((s) => s.close())))
  const rows = await sql<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version')
  t.strictSame(
    rows.map((r) => r.version),
    MIGRATIONS.map((m) => m.version),
  )

  const third = await createPostgresStore(url)
  await third.close()
  t.equal((await sql(url, 'SELECT version FROM schema_migrations')).length, MIGRATIONS.length, 'no re-run')
})

t.test('the overlap guarantee is a deferred exclusion constraint in the database', async (t) => {
  const url = await freshPostgres(t)
  const store = await createPostgresStore(url)
  t.teardown(() => store.close())
  const rows = await sql<{ contype: string; condeferred: boolean; def: string }>(
    url,
    `SELECT contype, condeferred, pg_get_constraintdef(oid) AS def FROM pg_constraint
     WHERE conrelid = 'events'::regclass AND conname = 'events_no_overlap'`,
  )
  t.equal(rows[0]?.contype, 'x', 'an exclusion constraint')
  t.equal(rows[0]?.condeferred, true, 'checked at commit')
  t.match(rows[0]?.def, /tstzrange\(start_at, end_at, '\[\)'::text\) WITH &&/)

  // Bypassing the store entirely: the database itself refuses the second occupying event.
  const job = aJob()
  await store.submit({ calendarId: job.calendarId, job })
  await store.applyPlan(aPlan(job, { upserts: [aScheduledEvent(T0, 60)] }))
  await t.rejects(
    sql(
      url,
      `INSERT INTO events SELECT calendar_id, 'evt_raw', title, description, location, attendees, duration_minutes,
         placement, placement_window, requested_start, start_at + interval '30 minutes', end_at + interval '30 minutes',
         status, failure, attendee_conflicts, outside_working_hours, version, sequence, created_at, updated_at
       FROM events LIMIT 1`,
    ),
    { code: '23P01' },
  )
})

t.test('an unreachable server fails fast with StoreUnavailableError', async (t) => {
  const started = Date.now()
  await t.rejects(
    createPostgresStore('postgres://postgres@127.0.0.1:1/nothing', { connectTimeoutMs: 500 }),
    StoreUnavailableError,
  )
  t.ok(Date.now() - started < 5000, 'within seconds')
})

t.test('a store whose server goes away fails fast with StoreUnavailableError, then recovers', async (t) => {
  const url = new URL(await freshPostgres(t))
  // A real TCP hop between the store and PostgreSQL that the test can cut.
  const upstream = { host: url.hostname, port: Number(url.port || 5432) }
  const sockets = new Set<net.Socket>()
  const proxy = net.createServer((client) => {
    const server = net.connect(upstream)
    for (const socket of [client, server]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    }
    client.pipe(server).pipe(client)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const port = (proxy.address() as net.AddressInfo).port
  url.host = `127.0.0.1:${port}`
  const store = await createPostgresStore(url.toString(), { connectTimeoutMs: 500 })
  // The store first: the proxy closes only once its connections have.
  t.teardown(async () => {
    await store.close()
    await new Promise<void>((resolve) => proxy.close(() => resolve()))
  })
  await store.ping()

  await new Promise<void>((resolve) => {
    proxy.close(() => resolve())
    for (const socket of sockets) socket.destroy()
  })
  const started = Date.now()
  await t.rejects(store.ping(), StoreUnavailableError, 'ping')
  await t.rejects(store.getEvent('default', 'evt_x'), StoreUnavailableError, 'a read')
  t.ok(Date.now() - started < 5000, 'within seconds')

  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve))
  await t.resolves(store.ping(), 'answers again once the server is back')
})

t.test('a closed store answers StoreUnavailableError', async (t) => {
  const store = await createPostgresStore(await freshPostgres(t))
  await store.close()
  await t.rejects(store.ping(), StoreUnavailableError)
})

t.test('openStore picks the adapter by scheme', async (t) => {
  const url = await freshPostgres(t)
  for (const scheme of ['postgres', 'postgresql']) {
    const store = await openStore(url.replace(/^[a-z]+:/, `${scheme}:`))
    // The adapter is known by where it writes: a calendar it stores is a row of PostgreSQL's table.
    await store.ensureCalendar(aCalendar({ id: `cal_${scheme}` }))
    await store.close()
    const rows = await sql<{ calendar_id: string }>(
      url,
      `SELECT calendar_id FROM calendars WHERE calendar_id = 'cal_${scheme}'`,
    )
    t.equal(rows.length, 1, `${scheme}: the PostgreSQL adapter`)
  }
  await t.rejects(
    openStore('mysql://localhost/db'),
    /postgres:\/\/, postgresql:\/\/, mongodb:\/\/ or mongodb\+srv:\/\//,
  )
  await t.rejects(openStore('not a url'), /Unsupported store URL/)
})

t.test('databaseUrl keeps the server and swaps the database', async (t) => {
  t.match(databaseUrl('sched_x'), /\/sched_x$/)
})

async function sql<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(text)).rows
  } finally {
    await client.end()
  }
}
