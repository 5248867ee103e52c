import ICAL from 'ical.js'
import t from 'tap'
import { aScheduledEvent, bearer, build, seedEvent } from '../../../helper.js'

const HOUR = 3_600_000

t.test('feed tokens and the ICS feed', async (t) => {
  const app = await build(t, { CALENDAR_TIMEZONE: 'America/New_York' })
  const admin = bearer({ scopes: ['calendar:admin'] })
  const create = (payload: object | undefined, headers: Record<string, string> = admin) =>
    app.inject({ method: 'POST', url: '/v1/calendar/feed-tokens', headers, ...(payload ? { payload } : {}) })
  const feed = (token: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url: `/v1/calendar.ics?token=${encodeURIComponent(token)}`, headers })

  t.test('only calendar:admin manages feed tokens', async (t) => {
    const reader = bearer({ scopes: ['events:read', 'events:write', 'webhooks:manage'] })
    t.equal((await create({}, reader)).statusCode, 403)
    t.equal((await create({}, {})).statusCode, 401)
    const list = await app.inject({ method: 'GET', url: '/v1/calendar/feed-tokens', headers: reader })
    t.equal(list.statusCode, 403)
    const remove = await app.inject({
      method: 'DELETE',
      url: '/v1/calendar/feed-tokens/ftk_x',
      headers: reader,
    })
    t.equal(remove.statusCode, 403)
  })

  t.test('create shows the token once; the list never does; revoke makes the feed 404', async (t) => {
    const created = await create({ label: 'Ann’s phone' })
    t.equal(created.statusCode, 201)
    const body = created.json()
    t.match(body, { id: /^ftk_/, label: 'Ann’s phone', token: /^ics_[A-Za-z0-9_-]{43}$/ })
    t.equal(body.url, `http://localhost:80/v1/calendar.ics?token=${body.token}`)
    t.match(body.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

    const noBody = await create(undefined)
    t.equal(noBody.statusCode, 201, 'the body is optional')
    t.equal(noBody.json().label, null)

    const list = await app.inject({ method: 'GET', url: '/v1/calendar/feed-tokens', headers: admin })
    t.equal(list.statusCode, 200)
    t.strictSame(
      list.json().items.map((item: Record<string, unknown>) => Object.keys(item).sort()),
      [
        ['createdAt', 'id', 'label'],
        ['createdAt', 'id', 'label'],
      ],
    )
    t.notMatch(list.body, body.token, 'no token in the list')

    t.equal((await feed(body.token)).statusCode, 200, 'no Authorization needed')
    const revoked = await app.inject({
      method: 'DELETE',
      url: `/v1/calendar/feed-tokens/${body.id}`,
      headers: admin,
    })
    t.equal(revoked.statusCode, 204)
    const gone = await feed(body.token)
    t.equal(gone.statusCode, 404)
    t.match(gone.headers['content-type'], /application\/problem\+json/)
    const again = await app.inject({
      method: 'DELETE',
      url: `/v1/calendar/feed-tokens/${body.id}`,
      headers: admin,
    })
    t.equal(again.statusCode, 404)
  })

  t.test('unknown and malformed tokens are 404; a missing token is 400', async (t) => {
    t.equal((await feed(`ics_${'A'.repeat(43)}`)).statusCode, 404)
    t.equal((await feed('not-a-token')).statusCode, 404)
    const missing = await app.inject({ method: 'GET', url: '/v1/calendar.ics' })
    t.equal(missing.statusCode, 400)
  })

  t.test('idempotency keys: the same key answers the same token; another body is a 422', async (t) => {
    const headers = { ...admin, 'idempotency-key': 'feed-token-1' }
    const first = await create({ label: 'Laptop' }, headers)
    const replay = await create({ label: 'Laptop' }, headers)
    t.equal(first.statusCode, 201)
    t.equal(replay.statusCode, 201)
    t.equal(replay.headers['idempotent-replayed'], 'true')
    t.strictSame(replay.json(), first.json(), 'same id, token and url')
    t.equal((await create({ label: 'Tablet' }, headers)).statusCode, 422)
    const stored = await app.store.findIdempotency('default', 'feed-token-1', Date.now())
    t.notMatch(JSON.stringify(stored), first.json().token, 'the key record keeps no token in the clear')

    const deleteHeaders = { ...admin, 'idempotency-key': 'feed-token-delete-1' }
    const url = `/v1/calendar/feed-tokens/${first.json().id}`
    t.equal((await app.inject({ method: 'DELETE', url, headers: deleteHeaders })).statusCode, 204)
    const replayed = await app.inject({ method: 'DELETE', url, headers: deleteHeaders })
    t.equal(replayed.statusCode, 204)
    t.equal(replayed.headers['idempotent-replayed'], 'true')
  })

  t.test('the feed is RFC 5545 with the events of the window', async (t) => {
    const token = (await create({ label: 'Feed' })).json().token as string
    const now = Date.now()
    const soon = await seedEvent(
      app,
      aScheduledEvent(Math.ceil((now + 2 * HOUR) / 60_000) * 60_000, 45, {
        title: 'Board sync; “Q3”',
        description: 'Line one\nLine two, with commas',
        location: 'Room 4',
        attendees: [
          { email: 'ann@example.com', name: 'Ann', required: true },
          { email: 'bob@example.com', required: false },
        ],
        sequence: 3,
      }),
    )
    const past = await seedEvent(app, aScheduledEvent(now - 3 * 24 * HOUR, 30, { title: 'Done' }))
    const old = await seedEvent(app, aScheduledEvent(now - 40 * 24 * HOUR, 30, { title: 'Too old' }))
    const cancelled = await seedEvent(
      app,
      aScheduledEvent(now + 5 * HOUR, 30, { title: 'Called off', status: 'cancelled' }),
    )
    const pending = await seedEvent(
      app,
      aScheduledEvent(now + 6 * HOUR, 30, { title: 'Pending', status: 'pending', start: null, end: null }),
    )

    const answer = await feed(token)
    t.equal(answer.statusCode, 200)
    t.equal(answer.headers['content-type'], 'text/calendar; charset=utf-8')
    t.equal(answer.headers['cache-control'], 'no-store')
    t.match(answer.body, /^BEGIN:VCALENDAR\r\n/)
    t.match(answer.body, /\r\nX-WR-TIMEZONE:America\/New_York\r\n/)

    const calendar = new ICAL.Component(ICAL.parse(answer.body))
    t.equal(calendar.getFirstPropertyValue('version'), '2.0')
    const events = calendar.getAllSubcomponents('vevent').map((component) => new ICAL.Event(component))
    const byUid = new Map(events.map((event) => [event.uid, event]))
    t.strictSame([...byUid.keys()].sort(), [soon, past, cancelled].map((e) => `${e.id}@scheduler-api`).sort())
    t.notOk(byUid.has(`${old.id}@scheduler-api`), 'older than 30 days')
    t.notOk(byUid.has(`${pending.id}@scheduler-api`), 'not placed')

    const board = byUid.get(`${soon.id}@scheduler-api`)
    if (!board) throw new Error('missing')
    t.equal(board.summary, 'Board sync; “Q3”')
    t.equal(board.description, 'Line one\nLine two, with commas')
    t.equal(board.location, 'Room 4')
    t.equal(board.sequence, 3)
    t.equal(board.startDate.toJSDate().getTime(), soon.start)
    t.equal(board.endDate.toJSDate().getTime(), soon.end)
    t.equal(board.startDate.zone?.tzid, 'UTC')
    t.equal(board.component.getFirstPropertyValue('status'), 'CONFIRMED')
    const lastModified = board.component.getFirstPropertyValue('last-modified') as ICAL.Time
    t.equal(lastModified.toJSDate().getTime(), Math.floor(soon.updatedAt / 1000) * 1000)
    t.ok(board.component.getFirstPropertyValue('dtstamp'))
    const attendees = board.attendees.map((attendee) => ({
      // URI schemes are case-insensitive (RFC 3986); ical-generator writes MAILTO:
      value: String(attendee.getFirstValue()).toLowerCase(),
      role: attendee.getParameter('role'),
      cn: attendee.getParameter('cn') ?? null,
    }))
    t.strictSame(attendees, [
      { value: 'mailto:ann@example.com', role: 'REQ-PARTICIPANT', cn: 'Ann' },
      { value: 'mailto:bob@example.com', role: 'OPT-PARTICIPANT', cn: null },
    ])
    const calledOff = byUid.get(`${cancelled.id}@scheduler-api`)
    t.equal(calledOff?.component.getFirstPropertyValue('status'), 'CANCELLED')
  })
})

t.test('PUBLIC_URL names the origin of the feed URLs handed out', async (t) => {
  const app = await build(t, { PUBLIC_URL: 'https://calendar.example.com' })
  const created = await app.inject({
    method: 'POST',
    url: '/v1/calendar/feed-tokens',
    headers: { ...bearer({ scopes: ['calendar:admin'] }), host: 'evil.example' },
  })
  t.equal(created.statusCode, 201)
  t.equal(created.json().url, `https://calendar.example.com/v1/calendar.ics?token=${created.json().token}`)
  await t.rejects(build(t, { PUBLIC_URL: 'https://calendar.example.com/path' }), 'an origin, not a URL')
})
