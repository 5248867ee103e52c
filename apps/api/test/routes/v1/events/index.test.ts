import type { EventListPageResource, EventResource } from '@scheduler/contract'
import type { EventRecord } from '@scheduler/core'
import t from 'tap'
import { type App, anEvent, aScheduledEvent, bearer, build, seedEvent } from '../../../helper.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

async function list(app: App, query: string) {
  const response = await app.inject({
    method: 'GET',
    url: `/v1/events?${query}`,
    headers: bearer({ scopes: ['events:read'] }),
  })
  return response
}

/** Every page of a listing, following `nextCursor`. */
async function allPages(app: App, query: string): Promise<EventResource[][]> {
  const pages: EventResource[][] = []
  let cursor: string | null = null
  do {
    const response = await list(app, `${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    const page = response.json<EventListPageResource>()
    pages.push(page.items)
    cursor = page.nextCursor
  } while (cursor)
  return pages
}

t.test('reading events', async (t) => {
  const app = await build(t)
  const now = Date.now()
  const base = Math.ceil(now / HOUR) * HOUR + DAY
  const seeded: EventRecord[] = []
  // Five scheduled events a day apart, one in progress, one completed by the clock, pending, failed, cancelled
  for (let i = 0; i < 5; i++) {
    seeded.push(
      await seedEvent(
        app,
        aScheduledEvent(base + i * DAY, 60, {
          createdAt: now - 10 * MINUTE + i,
          updatedAt: now - 5 * MINUTE + i,
        }),
      ),
    )
  }
  const inProgress = await seedEvent(
    app,
    aScheduledEvent(Math.floor(now / MINUTE) * MINUTE - 10 * MINUTE, 60, { updatedAt: now - HOUR }),
  )
  const done = await seedEvent(app, aScheduledEvent(base - 5 * DAY, 60, { updatedAt: now - 2 * HOUR }))
  const pending = await seedEvent(app, anEvent({ createdAt: now - MINUTE, updatedAt: now - MINUTE }))
  const failed = await seedEvent(
    app,
    anEvent({
      status: 'failed',
      placement: 'fixed',
      requestedStart: base,
      failure: {
        code: 'CONFLICT',
        message: 'Overlaps a fixed event',
        alternatives: [{ start: base + HOUR, end: base + 2 * HOUR }],
      },
      updatedAt: now,
    }),
  )
  const cancelled = await seedEvent(app, anEvent({ status: 'cancelled', updatedAt: now - 3 * HOUR }))
  const total = seeded.length + 5

  t.test('GET /v1/events/{id}: the event, its ETag, clock-derived statuses', async (t) => {
    const response = await app.inject({
      method: 'GET',
      url: `/v1/events/${seeded[0]!.id}`,
      headers: bearer(),
    })
    t.equal(response.statusCode, 200)
    t.equal(response.headers.etag, '"1"')
    t.match(response.json(), {
      id: seeded[0]!.id,
      status: 'scheduled',
      start: new Date(base).toISOString(),
      end: new Date(base + HOUR).toISOString(),
      attendees: [{ email: 'a@example.com', name: 'A', required: true }],
    })
    const running = await app.inject({ method: 'GET', url: `/v1/events/${inProgress.id}`, headers: bearer() })
    t.equal(running.json().status, 'in_progress')
    const over = await app.inject({ method: 'GET', url: `/v1/events/${done.id}`, headers: bearer() })
    t.equal(over.json().status, 'completed')
    const failure = await app.inject({ method: 'GET', url: `/v1/events/${failed.id}`, headers: bearer() })
    t.match(failure.json(), {
      status: 'failed',
      placement: 'fixed',
      failure: {
        code: 'CONFLICT',
        alternatives: [
          { start: new Date(base + HOUR).toISOString(), end: new Date(base + 2 * HOUR).toISOString() },
        ],
      },
    })
    const missing = await app.inject({ method: 'GET', url: '/v1/events/evt_nope', headers: bearer() })
    t.equal(missing.statusCode, 404)
    t.match(missing.json(), { status: 404 })
  })

  t.test('GET /v1/events/{id}/status', async (t) => {
    const response = await app.inject({
      method: 'GET',
      url: `/v1/events/${inProgress.id}/status`,
      headers: bearer(),
    })
    t.equal(response.statusCode, 200)
    t.same(Object.keys(response.json()).sort(), ['end', 'failure', 'id', 'start', 'status', 'updatedAt'])
    t.match(response.json(), { id: inProgress.id, status: 'in_progress', failure: null })
    const missing = await app.inject({ method: 'GET', url: '/v1/events/evt_nope/status', headers: bearer() })
    t.equal(missing.statusCode, 404)
  })

  t.test('the default list: every event, by start, unplaced last', async (t) => {
    const response = await list(app, '')
    t.equal(response.statusCode, 200)
    const page = response.json<EventListPageResource>()
    t.equal(page.items.length, total)
    t.equal(page.nextCursor, null)
    const starts = page.items.map((event) => event.start)
    const placed = starts.filter((start) => start !== null) as string[]
    t.same(placed, [...placed].sort())
    t.same(
      starts.slice(placed.length),
      starts.slice(placed.length).map(() => null),
      'unplaced events last',
    )
  })

  t.test('status filters: repeated, comma lists, clock-derived', async (t) => {
    const ids = async (query: string) =>
      (await list(app, query))
        .json<EventListPageResource>()
        .items.map((e) => e.id)
        .sort()
    t.same(await ids('status=in_progress'), [inProgress.id])
    t.same(await ids('status=completed'), [done.id])
    t.same(await ids('status=scheduled'), seeded.map((e) => e.id).sort())
    t.same(await ids('status=pending&status=failed'), [pending.id, failed.id].sort())
    t.same(await ids('status=pending,cancelled'), [pending.id, cancelled.id].sort())
    const bad = await list(app, 'status=pending,bogus')
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { errors: [{ path: /^\/query\/status/ }] })
  })

  t.test('time filters: occupying time overlapping [from, to)', async (t) => {
    const from = new Date(base + DAY + 30 * MINUTE).toISOString()
    const to = new Date(base + 3 * DAY).toISOString()
    const response = await list(app, `from=${from}&to=${to}`)
    t.same(
      response.json<EventListPageResource>().items.map((e) => e.id),
      [seeded[1]!.id, seeded[2]!.id],
    )
    // A semantic error, answered as on GET /v1/availability (issue 7 item 5)
    const reversed = await list(app, `from=${to}&to=${from}`)
    t.equal(reversed.statusCode, 422, 'to before from')
    t.match(reversed.json(), { status: 422, errors: [{ path: '/query/to', message: 'must be after from' }] })
    t.equal((await list(app, `from=${from}&to=${from}`)).statusCode, 422, 'to equal to from')
    t.equal((await list(app, 'from=2031-01-06T10:00:00')).statusCode, 400, 'no offset')
  })

  t.test('updatedSince and order=updated', async (t) => {
    const since = new Date(now - 5 * MINUTE).toISOString()
    const page = (await list(app, `order=updated&updatedSince=${since}`)).json<EventListPageResource>()
    const updated = page.items.map((event) => event.updatedAt)
    t.same(updated, [...updated].sort())
    t.ok(updated.every((at) => at >= since))
    t.same(
      page.items.map((e) => e.id),
      [...seeded.map((e) => e.id), pending.id, failed.id],
    )
  })

  t.test('paging visits every event exactly once, in both orders', async (t) => {
    for (const order of ['start', 'updated']) {
      const pages = await allPages(app, `order=${order}&limit=2`)
      t.ok(pages.every((items) => items.length <= 2))
      const ids = pages.flat().map((event) => event.id)
      t.equal(ids.length, total, `${order}: every event`)
      t.equal(new Set(ids).size, total, `${order}: each once`)
      const oneShot = (await list(app, `order=${order}&limit=500`))
        .json<EventListPageResource>()
        .items.map((e) => e.id)
      t.same(ids, oneShot, `${order}: the same order as one page`)
    }
  })

  t.test('invalid queries are 400', async (t) => {
    for (const query of [
      'limit=0',
      'limit=501',
      'limit=ten',
      'order=title',
      'colour=red',
      'cursor=%25%25%25',
      'cursor=bm90LWpzb24',
    ]) {
      const response = await list(app, query)
      t.equal(response.statusCode, 400, query)
      t.match(response.json(), { status: 400, errors: [{ path: /^\/query/ }] }, query)
    }
    // A cursor of one order is refused by the other
    const first = (await list(app, 'order=start&limit=1')).json<EventListPageResource>()
    const crossed = await list(app, `order=updated&cursor=${encodeURIComponent(first.nextCursor!)}`)
    t.equal(crossed.statusCode, 400)
  })
})
