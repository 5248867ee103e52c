import type { EventAcceptedResource } from '@scheduler/contract'
import { CALENDAR_ID_DEFAULT } from '@scheduler/core'
import t from 'tap'
import {
  type App,
  anEvent,
  aScheduledEvent,
  bearer,
  build,
  createBody,
  hoursFromNow,
  seedEvent,
} from '../../../helper.js'

const HOUR = 3_600_000

async function storedEventCount(app: App): Promise<number> {
  const page = await app.store.listEvents(CALENDAR_ID_DEFAULT, {
    limit: 500,
    order: 'start',
    now: Date.now(),
  })
  return page.items.length
}

t.test('POST /v1/events', async (t) => {
  const app = await build(t)
  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...bearer(), ...headers },
      payload: payload as object,
    })

  t.test('accepts an auto event: 202, the pending event, the queued job, Location', async (t) => {
    const response = await post(
      createBody({
        description: 'Quarterly',
        location: 'Room 4',
        attendees: [
          { email: 'A@Example.com', name: 'A' },
          { email: 'b@example.com', required: false },
        ],
        date: new Date(Date.now() + 2 * 24 * HOUR).toISOString().slice(0, 10),
      }),
    )
    t.equal(response.statusCode, 202)
    const body = response.json<EventAcceptedResource>()
    t.match(body, {
      event: {
        id: /^evt_/,
        title: 'Board sync',
        description: 'Quarterly',
        location: 'Room 4',
        attendees: [
          { email: 'a@example.com', name: 'A', required: true },
          { email: 'b@example.com', required: false },
        ],
        durationMinutes: 30,
        placement: 'auto',
        window: { date: /^\d{4}-\d{2}-\d{2}$/ },
        start: null,
        end: null,
        status: 'pending',
        failure: null,
        attendeeConflicts: [],
        outsideWorkingHours: false,
        version: 1,
        createdAt: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
      },
      job: { id: /^job_/, state: 'queued' },
    })
    t.equal(response.headers.location, `/v1/events/${body.event.id}`)
    t.match(String(response.headers['content-type']), /^application\/json/)

    const stored = await app.store.getEvent(CALENDAR_ID_DEFAULT, body.event.id)
    t.match(stored, { status: 'pending', placement: 'auto', window: { kind: 'date' }, sequence: 0 })
    const job = await app.store.getJob(CALENDAR_ID_DEFAULT, body.job.id)
    t.match(job, { type: 'create', state: 'queued', eventId: body.event.id, payload: { type: 'create' } })
    const queued = await app.placementQueue.getJob(body.job.id)
    t.same(queued?.data, { calendarId: CALENDAR_ID_DEFAULT, jobId: body.job.id })
  })

  t.test('a fixed start, a window, or nothing', async (t) => {
    const start = hoursFromNow(30)
    const fixed = await post(createBody({ start }))
    t.equal(fixed.statusCode, 202)
    t.match(fixed.json(), { event: { placement: 'fixed', window: null, start: null } })
    const stored = await app.store.getEvent(CALENDAR_ID_DEFAULT, fixed.json().event.id)
    t.equal(stored?.requestedStart, Date.parse(start))

    const notBefore = hoursFromNow(2)
    const window = await post(createBody({ notBefore }))
    t.equal(window.statusCode, 202)
    t.same(window.json().event.window, { notBefore: new Date(notBefore).toISOString() })

    const anywhere = await post(createBody())
    t.equal(anywhere.json().event.window, null)
  })

  t.test('invalid bodies are 400 problems with errors, and nothing is stored', async (t) => {
    const before = await storedEventCount(app)
    const cases: [string, unknown, RegExp][] = [
      ['an unknown field', createBody({ colour: 'red' }), /^\/body\/colour$/],
      ['a number as the title (no coercion)', createBody({ title: 42 }), /^\/body\/title$/],
      [
        'a string as the duration (no coercion)',
        createBody({ durationMinutes: '30' }),
        /^\/body\/durationMinutes$/,
      ],
      ['a missing title', { durationMinutes: 30 }, /^\/body\/title$/],
      ['a duration out of range', createBody({ durationMinutes: 4 }), /^\/body\/durationMinutes$/],
      ['a date-time without an offset', createBody({ start: '2031-01-06T10:00:00' }), /^\/body\/start$/],
      ['a leap second', createBody({ start: '2031-12-31T23:59:60Z' }), /^\/body\/start$/],
      ['an impossible date', createBody({ date: '2031-02-30' }), /^\/body\/date$/],
      [
        'two ways of saying when',
        createBody({ start: hoursFromNow(5), date: '2031-01-06' }),
        /^\/body\/(start|date)$/,
      ],
      [
        'a start and a window',
        createBody({ start: hoursFromNow(5), notAfter: hoursFromNow(9) }),
        /^\/body\//,
      ],
      [
        'duplicate attendee emails (case-insensitive)',
        createBody({ attendees: [{ email: 'a@example.com' }, { email: 'A@EXAMPLE.com' }] }),
        /^\/body\/attendees\/1\/email$/,
      ],
      [
        'an invalid email',
        createBody({ attendees: [{ email: 'not an email' }] }),
        /^\/body\/attendees\/0\/email$/,
      ],
      [
        'more than 100 attendees',
        createBody({ attendees: Array.from({ length: 101 }, (_, i) => ({ email: `p${i}@example.com` })) }),
        /^\/body\/attendees$/,
      ],
      ['a JSON array', [createBody()], /^\/body$/],
    ]
    for (const [name, payload, path] of cases) {
      const response = await post(payload)
      t.equal(response.statusCode, 400, name)
      t.match(String(response.headers['content-type']), /^application\/problem\+json/, name)
      const problem = response.json()
      t.match(problem, { status: 400, title: String, type: String, detail: String, requestId: String }, name)
      t.ok(Array.isArray(problem.errors) && problem.errors.length > 0, `${name}: errors listed`)
      t.match(problem.errors[0], { path, message: String }, name)
    }
    t.equal(await storedEventCount(app), before, 'nothing stored')
  })

  t.test('malformed JSON is a 400, an empty JSON body is no body', async (t) => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...bearer(), 'content-type': 'application/json' },
      payload: '{"title": ',
    })
    t.equal(malformed.statusCode, 400)
    t.match(malformed.json(), { status: 400, detail: /JSON/ })
  })

  t.test('semantically invalid requests are 422 and nothing is stored', async (t) => {
    const before = await storedEventCount(app)
    const cases: [string, unknown, string][] = [
      [
        'a start in the past',
        createBody({ start: new Date(Date.now() - HOUR).toISOString() }),
        '/body/start',
      ],
      ['a date before today', createBody({ date: '2020-01-01' }), '/body/date'],
      [
        'notAfter before notBefore',
        createBody({ notBefore: hoursFromNow(10), notAfter: hoursFromNow(5) }),
        '/body/notAfter',
      ],
      [
        'notAfter in the past',
        createBody({ notAfter: new Date(Date.now() - HOUR).toISOString() }),
        '/body/notAfter',
      ],
    ]
    for (const [name, payload, path] of cases) {
      const response = await post(payload)
      t.equal(response.statusCode, 422, name)
      t.match(response.json(), { status: 422, errors: [{ path }] }, name)
    }
    t.equal(await storedEventCount(app), before)
  })

  t.test('Idempotency-Key: the same request answers the same result once', async (t) => {
    const before = await storedEventCount(app)
    const key = `create-${Date.now()}`
    const payload = createBody({ title: 'Idempotent', attendees: [{ email: 'x@example.com' }] })
    const first = await post(payload, { 'idempotency-key': key })
    t.equal(first.statusCode, 202)
    t.notOk(first.headers['idempotent-replayed'])
    // The same body with its keys in another order is the same request
    const reordered = Object.fromEntries(Object.entries(payload).reverse())
    const second = await post(reordered, { 'idempotency-key': key })
    t.equal(second.statusCode, 202)
    t.equal(second.headers['idempotent-replayed'], 'true')
    t.same(second.json(), first.json(), 'same event and job')
    t.equal(second.headers.location, first.headers.location)
    t.equal(await storedEventCount(app), before + 1, 'one event stored')

    const other = await post(createBody({ title: 'Another' }), { 'idempotency-key': key })
    t.equal(other.statusCode, 422)
    t.match(other.json(), { status: 422, type: /idempotency/ })
    t.equal(await storedEventCount(app), before + 1)

    const tooLong = await post(payload, { 'idempotency-key': 'k'.repeat(256) })
    t.equal(tooLong.statusCode, 400)
    t.match(tooLong.json(), { errors: [{ path: '/headers/idempotency-key' }] })
  })

  t.test('a replay answers what the first request got, even when it would be refused now', async (t) => {
    const key = `late-${Date.now()}`
    const payload = createBody({ title: 'Soon', notAfter: new Date(Date.now() + 1_500).toISOString() })
    const first = await post(payload, { 'idempotency-key': key })
    t.equal(first.statusCode, 202)
    await new Promise((resolve) => setTimeout(resolve, 1_600))
    const again = await post(payload, { 'idempotency-key': key })
    t.equal(again.statusCode, 202)
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.same(again.json(), first.json())
    const other = await post(createBody({ title: 'Other', notAfter: new Date(0).toISOString() }), {
      'idempotency-key': key,
    })
    t.match(other.json(), { status: 422, type: /idempotency/ }, 'another request with the key is refused')
    t.equal((await post(payload)).statusCode, 422, 'without the key the request is refused now')
  })

  t.test('concurrent requests with one key store one event', async (t) => {
    const before = await storedEventCount(app)
    const key = `race-${Date.now()}`
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => post(createBody({ title: 'Race' }), { 'idempotency-key': key })),
    )
    for (const answer of answers) t.equal(answer.statusCode, 202)
    t.equal(new Set(answers.map((answer) => answer.json().event.id)).size, 1)
    t.equal(await storedEventCount(app), before + 1)
  })
})

t.test('PATCH, cancel and DELETE', async (t) => {
  const app = await build(t)
  const create = async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: bearer(),
      payload: createBody(),
    })
    return response.json<EventAcceptedResource>().event
  }

  t.test('PATCH: 202 with the event as it is now and an update job', async (t) => {
    const event = await create()
    const start = hoursFromNow(48)
    const response = await app.inject({
      method: 'PATCH',
      url: `/v1/events/${event.id}`,
      headers: { ...bearer(), 'if-match': '"1"' },
      payload: { title: 'Renamed', start, description: null },
    })
    t.equal(response.statusCode, 202)
    const body = response.json<EventAcceptedResource>()
    t.equal(body.event.title, 'Board sync', 'the event is unchanged until the worker applies the job')
    t.equal(response.headers.location, `/v1/events/${event.id}`)
    const job = await app.store.getJob(CALENDAR_ID_DEFAULT, body.job.id)
    t.match(job, {
      type: 'update',
      eventId: event.id,
      payload: {
        type: 'update',
        expectedVersion: 1,
        changes: {
          title: 'Renamed',
          description: null,
          when: { placement: 'fixed', start: Date.parse(start) },
        },
      },
    })
  })

  t.test('PATCH without If-Match, with a bare version, with a window', async (t) => {
    const event = await create()
    const plain = await app.inject({
      method: 'PATCH',
      url: `/v1/events/${event.id}`,
      headers: bearer(),
      payload: { notBefore: hoursFromNow(1), notAfter: hoursFromNow(20) },
    })
    t.equal(plain.statusCode, 202)
    const job = await app.store.getJob(CALENDAR_ID_DEFAULT, plain.json().job.id)
    t.match(job?.payload, {
      expectedVersion: null,
      changes: { when: { placement: 'auto', window: { kind: 'range' } } },
    })
    const bare = await app.inject({
      method: 'PATCH',
      url: `/v1/events/${event.id}`,
      headers: { ...bearer(), 'if-match': '1' },
      payload: { location: 'Room 5' },
    })
    t.equal(bare.statusCode, 202)
  })

  t.test('PATCH with merge-patch JSON', async (t) => {
    const event = await create()
    const response = await app.inject({
      method: 'PATCH',
      url: `/v1/events/${event.id}`,
      headers: { ...bearer(), 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({ location: null }),
    })
    t.equal(response.statusCode, 202)
  })

  t.test('If-Match with another version is a 412', async (t) => {
    const event = await create()
    const response = await app.inject({
      method: 'PATCH',
      url: `/v1/events/${event.id}`,
      headers: { ...bearer(), 'if-match': '"7"' },
      payload: { title: 'x' },
    })
    t.equal(response.statusCode, 412)
    t.match(response.json(), { status: 412, detail: /version 1/ })
    const cancel = await app.inject({
      method: 'POST',
      url: `/v1/events/${event.id}/cancel`,
      headers: { ...bearer(), 'if-match': '"2"' },
    })
    t.equal(cancel.statusCode, 412)
    const malformed = await app.inject({
      method: 'PATCH',
      url: `/v1/events/${event.id}`,
      headers: { ...bearer(), 'if-match': 'W/"1"' },
      payload: { title: 'x' },
    })
    t.equal(malformed.statusCode, 400)
  })

  t.test('unknown events are 404', async (t) => {
    for (const request of [
      { method: 'PATCH' as const, url: '/v1/events/evt_missing', payload: { title: 'x' } },
      { method: 'POST' as const, url: '/v1/events/evt_missing/cancel' },
      { method: 'DELETE' as const, url: '/v1/events/evt_missing' },
    ]) {
      const response = await app.inject({ ...request, headers: bearer() })
      t.equal(response.statusCode, 404, `${request.method} ${request.url}`)
      t.match(response.json(), { status: 404, detail: /evt_missing/ })
    }
  })

  t.test('PATCH validation: empty, status values, two ways of saying when', async (t) => {
    const event = await create()
    const patch = (payload: unknown) =>
      app.inject({
        method: 'PATCH',
        url: `/v1/events/${event.id}`,
        headers: bearer(),
        payload: payload as object,
      })
    t.equal((await patch({})).statusCode, 400)
    t.equal((await patch({ status: 'bogus' })).statusCode, 400)
    const pending = await patch({ status: 'pending' })
    t.equal(pending.statusCode, 422)
    t.match(pending.json(), { errors: [{ path: '/body/status' }] })
    t.equal((await patch({ start: hoursFromNow(3), date: '2031-01-06' })).statusCode, 400)
    t.equal((await patch({ start: new Date(Date.now() - HOUR).toISOString() })).statusCode, 422)
  })

  t.test('transitions the event cannot make are 409', async (t) => {
    const past = Date.now() - 3 * HOUR
    const completed = await seedEvent(app, aScheduledEvent(Math.floor(past / 60_000) * 60_000, 60))
    const cancel = await app.inject({
      method: 'POST',
      url: `/v1/events/${completed.id}/cancel`,
      headers: bearer(),
    })
    t.equal(cancel.statusCode, 409)
    t.match(cancel.json(), { status: 409, detail: /completed/ })

    const cancelled = await seedEvent(app, anEvent({ status: 'cancelled' }))
    const move = await app.inject({
      method: 'PATCH',
      url: `/v1/events/${cancelled.id}`,
      headers: bearer(),
      payload: { start: hoursFromNow(5) },
    })
    t.equal(move.statusCode, 409)
    const complete = await app.inject({
      method: 'PATCH',
      url: `/v1/events/${cancelled.id}`,
      headers: bearer(),
      payload: { status: 'completed' },
    })
    t.equal(complete.statusCode, 409)
  })

  t.test('cancel and delete answer 202 with their job', async (t) => {
    const event = await create()
    const cancel = await app.inject({
      method: 'POST',
      url: `/v1/events/${event.id}/cancel`,
      headers: { ...bearer(), 'content-type': 'application/json' },
      payload: '',
    })
    t.equal(cancel.statusCode, 202)
    t.match(await app.store.getJob(CALENDAR_ID_DEFAULT, cancel.json().job.id), {
      type: 'cancel',
      payload: { type: 'cancel' },
    })

    const remove = await app.inject({ method: 'DELETE', url: `/v1/events/${event.id}`, headers: bearer() })
    t.equal(remove.statusCode, 202)
    t.match(remove.json(), { event: { id: event.id }, job: { state: 'queued' } })
    t.match(await app.store.getJob(CALENDAR_ID_DEFAULT, remove.json().job.id), { type: 'delete' })
  })

  t.test('Idempotency-Key on a change', async (t) => {
    const event = await create()
    const key = `cancel-${Date.now()}`
    const send = (url: string) =>
      app.inject({ method: 'POST', url, headers: { ...bearer(), 'idempotency-key': key } })
    const first = await send(`/v1/events/${event.id}/cancel`)
    const again = await send(`/v1/events/${event.id}/cancel`)
    t.equal(again.statusCode, 202)
    t.equal(again.json().job.id, first.json().job.id)
    t.equal(again.headers['idempotent-replayed'], 'true')
    const other = await create()
    t.equal((await send(`/v1/events/${other.id}/cancel`)).statusCode, 422, 'the same key on another event')
  })
})
