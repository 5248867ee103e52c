import { aJob, anEvent, DAY, T0 } from '@scheduler/test-helpers/builders'
import { freshPostgres } from '@scheduler/test-helpers/fresh-postgres'
import pg from 'pg'
import t from 'tap'
import { SyncTokenExpiredError } from '../src/port.js'
import { createPostgresStore } from '../src/postgres/postgres-store.js'
import { EVENTS, eventToRow, insertRows } from '../src/postgres/rows.js'

const CAL = 'default'
const NOW = T0 - 2 * DAY

t.test('a change whose transaction began before the token and committed after it is answered', async (t) => {
  const url = await freshPostgres(t)
  const store = await createPostgresStore(url)
  t.teardown(() => store.close())
  const early = anEvent({ updatedAt: T0 - DAY })
  await store.submit({ calendarId: CAL, event: early, job: jobFor(early.id) })

  // A writer (another API process) stamps its event, opens its transaction and has not committed yet.
  const writer = new pg.Client({ connectionString: url })
  await writer.connect()
  t.teardown(() => writer.end())
  const late = anEvent({ createdAt: T0 - DAY - 1000, updatedAt: T0 - DAY - 1000 })
  await writer.query('BEGIN')
  await insertRows(writer, EVENTS, [eventToRow(late)])

  // Meanwhile a poller lists everything and keeps the token, and a timestamp poller its watermark.
  const listed = await store.listEvents(CAL, { order: 'updated', limit: 50, now: NOW })
  t.strictSame(
    listed.items.map((e) => e.id),
    [early.id],
    'the uncommitted event is not visible yet',
  )
  const token = listed.syncToken ?? ''
  const watermark = Math.max(...listed.items.map((e) => e.updatedAt))
  // Other writes commit around it (and are seen), then the late one commits with its older stamp.
  const other = anEvent({ updatedAt: T0 })
  await store.submit({ calendarId: CAL, event: other, job: jobFor(other.id) })
  await writer.query('COMMIT')

  const sync = await store.syncEvents(CAL, { syncToken: token, limit: 50 })
  t.strictSame(
    sync.items.map((item) => (item.kind === 'event' ? item.event.id : item.id)).sort(),
    [late.id, other.id].sort(),
    'the sync token answers the late commit',
  )
  const byTimestamp = await store.listEvents(CAL, {
    order: 'updated',
    limit: 50,
    now: NOW,
    updatedSince: watermark + 1,
  })
  t.notOk(
    byTimestamp.items.some((e) => e.id === late.id),
    'whereas an updatedSince watermark steps past it (the old protocol)',
  )
})

t.test('a token from another database is unknown', async (t) => {
  const first = await createPostgresStore(await freshPostgres(t))
  const second = await createPostgresStore(await freshPostgres(t))
  t.teardown(() => Promise.all([first.close(), second.close()]))
  const token = (await first.listEvents(CAL, { order: 'start', limit: 5, now: NOW })).syncToken ?? ''
  await t.rejects(second.syncEvents(CAL, { syncToken: token, limit: 5 }), SyncTokenExpiredError)
  await t.resolves(first.syncEvents(CAL, { syncToken: token, limit: 5 }))
})

function jobFor(eventId: string) {
  return aJob({ calendarId: CAL, eventId })
}
