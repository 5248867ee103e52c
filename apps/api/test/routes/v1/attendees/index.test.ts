import { CALENDAR_ID_DEFAULT } from '@scheduler/core'
import t from 'tap'
import { bearer, build, createBody, hoursFromNow } from '../../../helper.js'

const HOUR = 3_600_000
const BASE = Date.UTC(2031, 0, 6, 9, 0, 0)

/** A busy interval `hours` after the base instant, `length` hours long, as the client sends it. */
function busyAt(hours: number, length = 1) {
  return {
    start: new Date(BASE + hours * HOUR).toISOString(),
    end: new Date(BASE + (hours + length) * HOUR).toISOString(),
  }
}

t.test('attendees’ busy times', async (t) => {
  const app = await build(t)
  const write = bearer({ scopes: ['events:write'] })
  const read = bearer({ scopes: ['events:read'] })
  const put = (email: string, payload: unknown, headers: Record<string, string> = write) =>
    app.inject({ method: 'PUT', url: `/v1/attendees/${email}/busy`, headers, payload: payload as object })
  const get = (email: string, headers: Record<string, string> = read) =>
    app.inject({ method: 'GET', url: `/v1/attendees/${email}/busy`, headers })

  t.test('PUT stores the intervals, sorted, under the lower-cased email', async (t) => {
    const response = await put('Ann%40Example.com', { busy: [busyAt(5), busyAt(0, 2)] })
    t.equal(response.statusCode, 200)
    t.same(response.json(), {
      email: 'ann@example.com',
      busy: [
        { start: '2031-01-06T09:00:00.000Z', end: '2031-01-06T11:00:00.000Z' },
        { start: '2031-01-06T14:00:00.000Z', end: '2031-01-06T15:00:00.000Z' },
      ],
    })
    const stored = await app.store.getBusy(CALENDAR_ID_DEFAULT, 'ann@example.com')
    t.same(stored, [
      { start: BASE, end: BASE + 2 * HOUR },
      { start: BASE + 5 * HOUR, end: BASE + 6 * HOUR },
    ])
    const again = await get('ANN@example.COM')
    t.equal(again.statusCode, 200)
    t.same(again.json(), response.json(), 'GET answers what PUT answered, whatever the case')
  })

  t.test('times with an offset are answered in UTC', async (t) => {
    const response = await put('offset@example.com', {
      busy: [{ start: '2031-01-06T09:00:00-05:00', end: '2031-01-06T09:30:00-05:00' }],
    })
    t.same(response.json().busy, [{ start: '2031-01-06T14:00:00.000Z', end: '2031-01-06T14:30:00.000Z' }])
  })

  t.test('PUT replaces; an empty list clears', async (t) => {
    await put('bob@example.com', { busy: [busyAt(0), busyAt(2), busyAt(4)] })
    const replaced = await put('bob@example.com', { busy: [busyAt(10)] })
    t.same(replaced.json().busy, [busyAt(10)])
    t.same((await get('bob@example.com')).json(), { email: 'bob@example.com', busy: [busyAt(10)] })
    const cleared = await put('bob@example.com', { busy: [] })
    t.equal(cleared.statusCode, 200)
    t.same((await get('bob@example.com')).json(), { email: 'bob@example.com', busy: [] })
  })

  t.test('another attendee’s busy times are untouched', async (t) => {
    await put('carol@example.com', { busy: [busyAt(1)] })
    await put('dave@example.com', { busy: [busyAt(3)] })
    t.same((await get('carol@example.com')).json().busy, [busyAt(1)])
  })

  t.test('GET of an unknown attendee is an empty list', async (t) => {
    const response = await get('nobody@example.com')
    t.equal(response.statusCode, 200)
    t.same(response.json(), { email: 'nobody@example.com', busy: [] })
  })

  t.test('up to 1000 intervals are accepted', async (t) => {
    const busy = Array.from({ length: 1000 }, (_, i) => busyAt(i * 2))
    const response = await put('many@example.com', { busy })
    t.equal(response.statusCode, 200)
    t.equal(response.json().busy.length, 1000)
  })

  t.test('invalid requests are 400 problems naming the field', async (t) => {
    const cases: [string, string, unknown, string][] = [
      ['not an email', 'not-an-email', { busy: [] }, '/params/email'],
      ['missing busy', 'x@example.com', {}, '/body/busy'],
      ['busy not a list', 'x@example.com', { busy: 'soon' }, '/body/busy'],
      ['unknown field', 'x@example.com', { busy: [], note: 'x' }, '/body/note'],
      [
        'unknown interval field',
        'x@example.com',
        { busy: [{ ...busyAt(0), reason: 'x' }] },
        '/body/busy/0/reason',
      ],
      ['missing end', 'x@example.com', { busy: [{ start: busyAt(0).start }] }, '/body/busy/0/end'],
      [
        'not a date-time',
        'x@example.com',
        { busy: [{ start: 'tomorrow', end: busyAt(0).end }] },
        '/body/busy/0/start',
      ],
      [
        'no offset',
        'x@example.com',
        { busy: [{ start: '2031-01-06T09:00:00', end: busyAt(0).end }] },
        '/body/busy/0/start',
      ],
      [
        'more than 1000 intervals',
        'x@example.com',
        { busy: Array.from({ length: 1001 }, (_, i) => busyAt(i)) },
        '/body/busy',
      ],
    ]
    for (const [name, email, payload, path] of cases) {
      const response = await put(email, payload)
      t.equal(response.statusCode, 400, name)
      t.match(response.headers['content-type'], /application\/problem\+json/, name)
      t.match(response.json(), { status: 400, errors: [{ path }] }, name)
    }
    t.equal((await get('not-an-email')).statusCode, 400, 'GET checks the email too')
    t.same((await get('x@example.com')).json().busy, [], 'nothing was stored')
  })

  t.test('an interval that does not end after it starts is a 422 listing each one', async (t) => {
    await put('erin@example.com', { busy: [busyAt(0)] })
    const response = await put('erin@example.com', {
      busy: [busyAt(1), { start: busyAt(3).start, end: busyAt(3).start }, busyAt(4, -1)],
    })
    t.equal(response.statusCode, 422)
    t.match(response.json(), {
      status: 422,
      errors: [
        { path: '/body/busy/1/end', message: 'must be after start' },
        { path: '/body/busy/2/end', message: 'must be after start' },
      ],
    })
    t.same((await get('erin@example.com')).json().busy, [busyAt(0)], 'the old times are kept')
  })

  t.test('Idempotency-Key is recorded: the same PUT replays, another request is a 422', async (t) => {
    const headers = { ...write, 'idempotency-key': 'busy-key-1' }
    const first = await put('frank@example.com', { busy: [busyAt(1)] }, headers)
    t.equal(first.statusCode, 200)
    t.notOk(first.headers['idempotent-replayed'])
    // Changed meanwhile without the key: a replay answers the recorded result and writes nothing.
    await put('frank@example.com', { busy: [busyAt(2)] })
    const second = await put('frank@example.com', { busy: [busyAt(1)] }, headers)
    t.equal(second.statusCode, 200)
    t.equal(second.headers['idempotent-replayed'], 'true')
    t.same(second.json(), first.json(), 'the recorded answer')
    t.same((await get('frank@example.com')).json().busy, [busyAt(2)], 'the replay wrote nothing')

    const other = await put('frank@example.com', { busy: [busyAt(3)] }, headers)
    t.equal(other.statusCode, 422, 'the key with another body')
    const elsewhere = await put('grace@example.com', { busy: [busyAt(1)] }, headers)
    t.equal(elsewhere.statusCode, 422, 'the key with another attendee')
    t.same((await get('grace@example.com')).json().busy, [], 'nothing written for a 422')
    await put('frank@example.com', { busy: [busyAt(1)] })

    const tooLong = await put(
      'frank@example.com',
      { busy: [] },
      { ...write, 'idempotency-key': 'k'.repeat(256) },
    )
    t.equal(tooLong.statusCode, 400)

    const all = bearer()
    const created = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...all, 'idempotency-key': 'busy-key-2' },
      payload: createBody({ start: hoursFromNow(48) }),
    })
    t.equal(created.statusCode, 202)
    const reused = await put('frank@example.com', { busy: [] }, { ...all, 'idempotency-key': 'busy-key-2' })
    t.equal(reused.statusCode, 422, 'a key recorded for another request is refused')
    t.same((await get('frank@example.com')).json().busy, [busyAt(1)], 'nothing written for a 422')
  })

  t.test('scopes: PUT needs events:write, GET events:read', async (t) => {
    t.equal((await put('x@example.com', { busy: [] }, read)).statusCode, 403)
    t.equal((await get('x@example.com', write)).statusCode, 403)
    t.equal((await app.inject({ method: 'GET', url: '/v1/attendees/x@example.com/busy' })).statusCode, 401)
  })

  t.test('the routes are in the OpenAPI document', async (t) => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const path = document.paths['/v1/attendees/{email}/busy']
    t.match(path.put, {
      tags: ['attendees'],
      security: [{ bearerAuth: ['events:write'] }],
      requestBody: {
        content: { 'application/json': { schema: { $ref: '#/components/schemas/BusyTimesRequest' } } },
      },
      responses: {
        200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/BusyTimes' } } } },
        422: {},
      },
    })
    t.match(path.get, { tags: ['attendees'], security: [{ bearerAuth: ['events:read'] }] })
    t.match(
      path.put.parameters.find((parameter: { in: string }) => parameter.in === 'path'),
      { name: 'email', required: true, schema: { format: 'email' } },
    )
    t.ok(document.components.schemas.BusyTimes)
    t.ok(document.components.schemas.BusyTimesRequest)
  })
})
