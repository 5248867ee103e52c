import type { EventPageResource, ProblemResource } from '@scheduler/contract'
import { type EventRecord, newId } from '@scheduler/core'
import { aPlan } from '@scheduler/test-helpers/builders'
import t from 'tap'
import { type App, aScheduledEvent, bearer, build, seedEvent } from '../../../helper.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

async function get(app: App, query: string) {
  return app.inject({
    method: 'GET',
    url: `/v1/events?${query}`,
    headers: bearer({ scopes: ['events:read'] }),
  })
}

async function page(app: App, query: string): Promise<EventPageResource> {
  const response = await get(app, query)
  if (response.statusCode !== 200) throw new Error(`${response.statusCode}: ${response.body}`)
  return response.json<EventPageResource>()
}

/** What the placement worker does to an event: one plan, applied by the store. */
async function applyAsWorker(app: App, upserts: EventRecord[], deletions: string[] = []): Promise<void> {
  const eventId = upserts[0]?.id ?? deletions[0] ?? newId('evt')
  const job = {
    id: newId('job'),
    calendarId: 'default',
    type: 'update' as const,
    eventId,
    state: 'queued' as const,
    payload: { type: 'cancel' as const },
    outcome: null,
    error: null,
    createdAt: Date.now(),
    finishedAt: null,
  }
  await app.store.submit({ calendarId: 'default', job })
  await app.store.applyPlan(aPlan(job, { upserts, deletions }))
}

function idOf(item: EventPageResource['items'][number]): string {
  return item.id
}

/** Six scheduled events on six days from 2 days ahead, as in the issue. */
async function sixDays(app: App): Promise<{ events: EventRecord[]; base: number }> {
  const base = Math.ceil(Date.now() / DAY) * DAY + 2 * DAY + 9 * HOUR
  const events: EventRecord[] = []
  for (let i = 0; i < 6; i++) {
    events.push(
      await seedEvent(app, aScheduledEvent(base + i * DAY, 60, { updatedAt: Date.now() - DAY + i })),
    )
  }
  return { events, base }
}

function listQuery(base: number): string {
  const from = new Date(base - 9 * HOUR).toISOString()
  const to = new Date(base + 9 * DAY).toISOString()
  return `from=${from}&to=${to}&status=scheduled&limit=2`
}

t.test('the issue’s case: an event moved behind the cursor after page 2 is still listed', async (t) => {
  const app = await build(t)
  const { events, base } = await sixDays(app)
  const query = listQuery(base)
  const seen: string[] = []
  let current = await page(app, query)
  seen.push(...current.items.map(idOf))
  current = await page(app, `${query}&cursor=${encodeURIComponent(current.nextCursor ?? '')}`)
  seen.push(...current.items.map(idOf))
  t.notOk('syncToken' in current, 'no token before the last page')

  // The event of the sixth day moves to the first day (PATCH {"date": …}, applied by the worker).
  const moved = events[5] as EventRecord
  const to = base - HOUR
  await applyAsWorker(app, [{ ...moved, start: to, end: to + HOUR, version: 2, updatedAt: Date.now() }])
  while (current.nextCursor !== null) {
    current = await page(app, `${query}&cursor=${encodeURIComponent(current.nextCursor)}`)
    seen.push(...current.items.map(idOf))
  }
  t.strictSame([...new Set(seen)].sort(), events.map((e) => e.id).sort(), 'all six events, the moved one too')
  t.equal(seen.length, 6, 'each once')
  t.match(
    current.items.find((item) => item.id === moved.id),
    { start: new Date(to).toISOString() },
    'the moved event in its new place',
  )
  t.type(current.syncToken, 'string', 'the last page carries the sync token')
})

t.test('the other direction: an event moved ahead of the cursor may show twice, never less', async (t) => {
  const app = await build(t)
  const { events, base } = await sixDays(app)
  const query = listQuery(base)
  let current = await page(app, query)
  const seen = current.items.map(idOf)
  const moved = events[0] as EventRecord
  const to = base + 7 * DAY
  await applyAsWorker(app, [{ ...moved, start: to, end: to + HOUR, version: 2, updatedAt: Date.now() }])
  while (current.nextCursor !== null) {
    current = await page(app, `${query}&cursor=${encodeURIComponent(current.nextCursor)}`)
    seen.push(...current.items.map(idOf))
  }
  t.strictSame([...new Set(seen)].sort(), events.map((e) => e.id).sort(), 'all six events')
  t.equal(seen.filter((id) => id === moved.id).length, 2, 'the moved one twice, once in its new state')
  t.equal(seen.length, 7)
})

t.test('syncToken: changes since the token, tombstones, the next token', async (t) => {
  const app = await build(t)
  const { events } = await sixDays(app)
  const all = await page(app, 'limit=500')
  const token = all.syncToken ?? ''
  t.type(all.syncToken, 'string')

  const [changed, cancelled, deleted] = events as [EventRecord, EventRecord, EventRecord]
  await applyAsWorker(app, [{ ...changed, title: 'Renamed', version: 2 }])
  await applyAsWorker(app, [{ ...cancelled, status: 'cancelled', version: 2 }])
  await applyAsWorker(app, [], [deleted.id])

  const firstPage = await page(app, `syncToken=${encodeURIComponent(token)}&limit=2`)
  t.equal(firstPage.items.length, 2)
  t.type(firstPage.nextCursor, 'string')
  t.notOk('syncToken' in firstPage, 'no token before the last page')
  const rest = await page(
    app,
    `syncToken=${encodeURIComponent(token)}&limit=2&cursor=${encodeURIComponent(firstPage.nextCursor ?? '')}`,
  )
  t.equal(rest.nextCursor, null)
  const items = [...firstPage.items, ...rest.items]
  const byId = new Map(items.map((item) => [item.id, item]))
  t.equal(items.length, 3, 'each change once')
  t.match(byId.get(changed.id), { title: 'Renamed', version: 2 })
  t.match(byId.get(cancelled.id), { status: 'cancelled' })
  t.strictSame(Object.keys(byId.get(deleted.id) ?? {}).sort(), ['deleted', 'deletedAt', 'id'])
  t.match(byId.get(deleted.id), { id: deleted.id, deleted: true, deletedAt: /^\d{4}-.*Z$/ })

  const next = await page(app, `syncToken=${encodeURIComponent(rest.syncToken ?? '')}`)
  t.strictSame(next.items, [], 'nothing new since the next token')
  t.type(next.syncToken, 'string')
})

t.test('expired, unknown and malformed tokens are 410 sync-token-expired', async (t) => {
  const app = await build(t)
  const token = (await page(app, 'limit=5')).syncToken ?? ''
  const wire = JSON.parse(Buffer.from(token, 'base64url').toString()) as Record<string, unknown>
  const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const cases: Record<string, string> = {
    malformed: 'not-a-token',
    'another calendar': forge({ ...wire, c: 'other' }),
    'another database': forge({ ...wire, e: 'elsewhere' }),
    'from the future': forge({ ...wire, p: '999999999999:999999999999:' }),
    'not a position': forge({ ...wire, p: 'x' }),
  }
  for (const [name, bad] of Object.entries(cases)) {
    const response = await get(app, `syncToken=${encodeURIComponent(bad)}`)
    t.equal(response.statusCode, 410, name)
    t.match(response.headers['content-type'], /application\/problem\+json/)
    t.match(response.json<ProblemResource>(), { status: 410, type: /sync-token-expired$/ }, name)
  }

  // Every change before tomorrow purged (what housekeeping does after 30 days): the token is too old.
  await applyAsWorker(app, [aScheduledEvent(Date.now() + 3 * DAY, 30)])
  await app.store.purgeEventChanges(Date.now() + DAY)
  const expired = await get(app, `syncToken=${encodeURIComponent(token)}`)
  t.equal(expired.statusCode, 410, 'purged history')
  t.match(expired.json<ProblemResource>(), { type: /sync-token-expired$/, detail: /list all events again/ })
})

t.test('filters with syncToken are 400; a sync cursor of another token is 400', async (t) => {
  const app = await build(t)
  const token = encodeURIComponent((await page(app, 'limit=5')).syncToken ?? '')
  for (const extra of [
    'status=scheduled',
    'from=2030-01-01T00:00:00Z',
    'to=2030-01-01T00:00:00Z',
    'updatedSince=2030-01-01T00:00:00Z',
    'order=start',
    'order=updated',
  ]) {
    const response = await get(app, `syncToken=${token}&${extra}`)
    t.equal(response.statusCode, 400, extra)
    const name = extra.split('=')[0] ?? ''
    t.match(response.json<ProblemResource>(), { errors: [{ path: `/query/${name}` }] }, extra)
  }
  t.equal((await get(app, `syncToken=${token}&limit=5`)).statusCode, 200, 'limit is fine')
  t.equal((await get(app, `syncToken=${token}&cursor=garbage`)).statusCode, 400, 'a garbage cursor')
  t.equal((await get(app, 'syncToken=')).statusCode, 400, 'an empty token')
})

t.test('the OpenAPI document shows the sync protocol', async (t) => {
  const app = await build(t)
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
  const list = doc.paths['/v1/events'].get
  t.ok(
    list.parameters.some((p: { name: string; in: string }) => p.name === 'syncToken' && p.in === 'query'),
    'the syncToken parameter',
  )
  t.match(list.responses['410'], {
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  })
  t.ok(doc.components.schemas.EventTombstone, 'the tombstone schema')
  t.ok(doc.components.schemas.EventPage.properties.syncToken, 'syncToken on the page')
  t.match(list.description, /syncToken/)
})
