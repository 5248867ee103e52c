import type { EventAcceptedResource, EventResource, ProblemResource } from '@scheduler/contract'
import { isStorableText } from '@scheduler/contract'
import { SUPPORTED_RANGE } from '@scheduler/core'
import fc from 'fast-check'
import t from 'tap'
import { sanitizeFilename } from '../../../src/routes/v1/events/attachments/upload-reader.js'
import { anEvent, aScheduledEvent, bearer, build, createBody, hoursFromNow, seedEvent } from '../../helper.js'

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE
const MAX = new Date(SUPPORTED_RANGE.end).toISOString()

/** The problem's single field error, for a compact assertion. */
function fieldOf(problem: ProblemResource): { status: number; path: string | undefined } {
  return { status: problem.status, path: problem.errors?.[0]?.path }
}

t.test('text: NUL and unpaired surrogates are a 400 naming the field, everywhere', async (t) => {
  const app = await build(t, { CALENDAR_WORKING_HOURS: 'mon-sun 00:00-24:00' })
  const headers = { ...bearer(), 'content-type': 'application/json' }
  // Raw JSON, so that the escapes reach the server as written (`\\ud83d` is a lone surrogate once parsed)
  const send = (
    method: 'POST' | 'PATCH' | 'PUT',
    url: string,
    json: string,
    extra: Record<string, string> = {},
  ) => app.inject({ method, url, headers: { ...headers, ...extra }, payload: json })

  const seeded = await seedEvent(app, aScheduledEvent(Date.now() + DAY, 30))

  const bodies: [string, 'POST' | 'PATCH' | 'PUT', string, string, string][] = [
    ['create title NUL', 'POST', '/v1/events', '{"title":"a\\u0000b","durationMinutes":30}', '/body/title'],
    [
      'create title lone surrogate',
      'POST',
      '/v1/events',
      '{"title":"x\\ud83dy","durationMinutes":30}',
      '/body/title',
    ],
    [
      'create description',
      'POST',
      '/v1/events',
      '{"title":"t","durationMinutes":30,"description":"\\u0000"}',
      '/body/description',
    ],
    [
      'create location',
      'POST',
      '/v1/events',
      '{"title":"t","durationMinutes":30,"location":"\\udc00x"}',
      '/body/location',
    ],
    [
      'create attendee name',
      'POST',
      '/v1/events',
      '{"title":"t","durationMinutes":30,"attendees":[{"email":"a@example.com","name":"\\ud800"}]}',
      '/body/attendees/0/name',
    ],
    [
      'preview title',
      'POST',
      '/v1/events/preview',
      '{"title":"\\ud800","durationMinutes":30}',
      '/body/title',
    ],
    ['patch title lone surrogate', 'PATCH', `/v1/events/${seeded.id}`, '{"title":"\\ud800"}', '/body/title'],
    ['patch location NUL', 'PATCH', `/v1/events/${seeded.id}`, '{"location":"a\\u0000"}', '/body/location'],
    [
      'calendar blackout reason',
      'PUT',
      '/v1/calendar',
      JSON.stringify({
        timezone: 'UTC',
        workingHours: {},
        bufferMinutes: 0,
        slotMinutes: 15,
        minNoticeMinutes: 0,
        horizonDays: 60,
        blackouts: [{ start: hoursFromNow(24), end: hoursFromNow(25), reason: 'R' }],
      }).replace('"R"', '"\\u0000"'),
      '/body/blackouts/0/reason',
    ],
    [
      'calendar timezone',
      'PUT',
      '/v1/calendar',
      '{"timezone":"UTC\\u0000","workingHours":{},"bufferMinutes":0,"slotMinutes":15,"minNoticeMinutes":0,"horizonDays":60}',
      '/body/timezone',
    ],
    [
      'webhook description',
      'POST',
      '/v1/webhooks',
      '{"url":"https://example.com/hook","description":"\\ud83d"}',
      '/body/description',
    ],
    ['webhook url', 'POST', '/v1/webhooks', '{"url":"https://example.com/\\u0000"}', '/body/url'],
  ]
  for (const [name, method, url, json, path] of bodies) {
    const response = await send(method, url, json)
    t.strictSame(fieldOf(response.json()), { status: 400, path }, name)
    t.match(response.headers['content-type'], /application\/problem\+json/, `${name}: problem+json`)
  }

  t.test('with an Idempotency-Key the answer (jsonb) never sees it either', async (t) => {
    const response = await send(
      'POST',
      '/v1/events',
      '{"title":"t","durationMinutes":30,"attendees":[{"email":"a@example.com","name":"\\ud800"}]}',
      { 'idempotency-key': 'k-lone-surrogate' },
    )
    t.equal(response.statusCode, 400)
    const again = await send('POST', '/v1/events', '{"title":"t","durationMinutes":30}', {
      'idempotency-key': 'k-lone-surrogate',
    })
    t.equal(again.statusCode, 202, 'nothing was recorded under the key')
  })

  t.test('path parameters and query strings', async (t) => {
    const requests: [string, 'GET' | 'POST' | 'DELETE' | 'PUT', string, string][] = [
      ['event', 'GET', '/v1/events/%00', '/params/id'],
      ['event status', 'GET', '/v1/events/evt_%00x/status', '/params/id'],
      ['job', 'GET', '/v1/jobs/evt_%00x', '/params/id'],
      ['webhook', 'GET', '/v1/webhooks/%00', '/params/id'],
      ['webhook deliveries', 'GET', '/v1/webhooks/%00/deliveries', '/params/id'],
      ['webhook delete', 'DELETE', '/v1/webhooks/%00', '/params/id'],
      ['attachments', 'GET', '/v1/events/evt_%00x/attachments', '/params/id'],
      ['attachment', 'GET', `/v1/events/${seeded.id}/attachments/att_%00`, '/params/attachmentId'],
      ['cancel', 'POST', '/v1/events/%00/cancel', '/params/id'],
      ['delete', 'DELETE', '/v1/events/evt_%00x', '/params/id'],
      ['busy', 'GET', '/v1/attendees/a%00%40example.com/busy', '/params/email'],
      ['cursor', 'GET', '/v1/events?cursor=%00', '/query/cursor'],
      ['from', 'GET', '/v1/events?from=%00', '/query/from'],
      [
        'availability attendees',
        'GET',
        `/v1/availability?from=${hoursFromNow(1)}&to=${hoursFromNow(2)}&durationMinutes=30&attendees=a%00@example.com`,
        '/query/attendees/0',
      ],
    ]
    // Cursors are opaque, but a forged one must not carry unstorable text or instants into a query either
    const forged = (wire: object) => Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url')
    requests.push(
      [
        'cursor id NUL',
        'GET',
        `/v1/events?cursor=${forged({ o: 's', s: null, c: 0, i: '\u0000' })}`,
        '/query/cursor',
      ],
      [
        'cursor id surrogate',
        'GET',
        `/v1/events?cursor=${forged({ o: 'u', u: 0, i: '\ud800' })}`,
        '/query/cursor',
      ],
      [
        'cursor y10k',
        'GET',
        `/v1/events?cursor=${forged({ o: 's', s: 8.64e15, c: 0, i: 'evt_x' })}`,
        '/query/cursor',
      ],
    )
    for (const [name, method, url, path] of requests) {
      const response = await app.inject({ method, url, headers: bearer() })
      t.equal(response.statusCode, 400, `${name}: 400`)
      t.equal(response.json<ProblemResource>().errors?.[0]?.path, path, `${name}: names ${path}`)
    }
  })

  t.test('any text a field accepts comes back exactly (fast-check)', async (t) => {
    // Every UTF-16 string: code points of all planes, lone surrogates and NUL included
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc
        .tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\u0000', '\ud800', '\udfff', '\ud83d\ude00'))
        .map(([s, odd]) => s + odd + s),
    )
    await fc.assert(
      fc.asyncProperty(text, text, text, async (description, location, name) => {
        const response = await app.inject({
          method: 'POST',
          url: '/v1/events',
          headers: bearer(),
          payload: createBody({ description, location, attendees: [{ email: 'ann@example.com', name }] }),
        })
        const storable = [description, location, name].every(isStorableText)
        if (!storable) {
          t.equal(response.statusCode, 400, 'refused')
          return
        }
        t.equal(response.statusCode, 202, 'accepted')
        const { event } = response.json<EventAcceptedResource>()
        const read = await app.inject({ method: 'GET', url: `/v1/events/${event.id}`, headers: bearer() })
        const stored = read.json<EventResource>()
        t.equal(stored.description, description)
        t.equal(stored.location, location)
        t.equal(stored.attendees[0]?.name, name)
      }),
      { numRuns: 60 },
    )
  })
})

t.test('instants: outside the supported range is a 422 naming the field', async (t) => {
  const app = await build(t, { CALENDAR_WORKING_HOURS: 'mon-sun 00:00-24:00', CALENDAR_BUFFER_MINUTES: '30' })
  const post = (url: string, payload: object) =>
    app.inject({ method: 'POST', url, headers: bearer(), payload })

  const creates: [string, object, string][] = [
    ['y10k start', { start: '9999-12-31T23:30:00Z' }, '/body/start'],
    ['start + duration past the range', { start: '9999-12-30T23:45:00Z' }, '/body/start'],
    ['start + duration + buffer past the range', { start: '9999-12-30T23:15:00Z' }, '/body/start'],
    ['notAfter', { notAfter: '9999-12-31T12:00:00Z' }, '/body/notAfter'],
    ['notBefore', { notBefore: '0000-01-01T00:00:00Z' }, '/body/notBefore'],
    ['date whose day leaves the range', { date: '9999-12-31' }, '/body/date'],
  ]
  for (const [name, when, path] of creates) {
    for (const url of ['/v1/events', '/v1/events/preview']) {
      const response = await post(url, createBody({ durationMinutes: 30, ...when }))
      t.strictSame(fieldOf(response.json()), { status: 422, path }, `${url}: ${name}`)
    }
  }
  const issue = await post('/v1/events/preview', {
    title: 'p',
    durationMinutes: 30,
    start: '9999-12-31T23:45:00Z',
  })
  t.equal(issue.statusCode, 422, "the issue's preview: 422, not 500")

  const edge = new Date(SUPPORTED_RANGE.end - 60 * MINUTE).toISOString()
  const fits = await post('/v1/events/preview', createBody({ durationMinutes: 30, start: edge }))
  t.equal(fits.statusCode, 200, 'an event ending with its buffer exactly at the last instant is fine')
  t.match(fits.json(), { start: edge, failure: null })

  t.test(
    'the OpenAPI document states the range and the failure code, and nothing of the keyword',
    async (t) => {
      const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).body
      t.match(document, 'Must lie between 1970-01-01T00:00:00Z and 9999-12-31T00:00:00Z (else 422)')
      t.match(document, 'NOT_APPLIED')
      t.notMatch(
        document,
        'storableText',
        'the text rule is the validator’s, not a schema keyword of the document',
      )
    },
  )

  t.test('PATCH: a new start, or a longer fixed event, must stay in the range', async (t) => {
    const fixed = await seedEvent(
      app,
      aScheduledEvent(SUPPORTED_RANGE.end - 2 * 60 * MINUTE, 30, {
        placement: 'fixed',
        requestedStart: SUPPORTED_RANGE.end - 2 * 60 * MINUTE,
      }),
    )
    const patch = (payload: object) =>
      app.inject({ method: 'PATCH', url: `/v1/events/${fixed.id}`, headers: bearer(), payload })
    t.strictSame(fieldOf((await patch({ start: '9999-12-31T06:00:00Z' })).json()), {
      status: 422,
      path: '/body/start',
    })
    t.strictSame(fieldOf((await patch({ durationMinutes: 120 })).json()), {
      status: 422,
      path: '/body/durationMinutes',
    })
    t.equal((await patch({ durationMinutes: 60 })).statusCode, 202, 'still within: accepted')
  })

  t.test('calendar, busy times, availability and listing', async (t) => {
    const calendar = await app.inject({
      method: 'PUT',
      url: '/v1/calendar',
      headers: bearer(),
      payload: {
        timezone: 'UTC',
        workingHours: {},
        bufferMinutes: 0,
        slotMinutes: 15,
        minNoticeMinutes: 0,
        horizonDays: 60,
        blackouts: [{ start: hoursFromNow(1), end: '9999-12-31T12:00:00Z' }],
      },
    })
    t.strictSame(fieldOf(calendar.json()), { status: 422, path: '/body/blackouts/0/end' })
    const busy = await app.inject({
      method: 'PUT',
      url: '/v1/attendees/ann@example.com/busy',
      headers: bearer(),
      payload: { busy: [{ start: '1969-12-31T23:00:00Z', end: hoursFromNow(1) }] },
    })
    t.strictSame(fieldOf(busy.json()), { status: 422, path: '/body/busy/0/start' })
    const availability = await app.inject({
      method: 'GET',
      url: `/v1/availability?from=${hoursFromNow(1)}&to=9999-12-31T12:00:00Z&durationMinutes=30`,
      headers: bearer(),
    })
    t.strictSame(fieldOf(availability.json()), { status: 422, path: '/query/to' })
    for (const query of [
      'from=0000-01-01T00:00:00Z',
      'to=9999-12-31T23:59:59Z',
      'updatedSince=1900-01-01T00:00:00Z',
    ]) {
      const list = await app.inject({ method: 'GET', url: `/v1/events?${query}`, headers: bearer() })
      t.equal(list.statusCode, 422, `GET /v1/events?${query}`)
    }
    const wide = await app.inject({
      method: 'GET',
      url: `/v1/events?from=1970-01-01T00:00:00Z&to=${MAX}`,
      headers: bearer(),
    })
    t.equal(wide.statusCode, 200, 'the whole range can be listed')
  })

  t.test('any instant: the preview places it or refuses it cleanly, never a 500 (fast-check)', async (t) => {
    // Every instant RFC 3339 can write (years 0000–9999), denser near now and near the end of the range
    const LAST_RFC3339 = Date.UTC(9999, 11, 31, 23, 59, 59, 999)
    const instant = fc.oneof(
      fc.integer({ min: Date.now(), max: Date.now() + 400 * DAY }),
      fc.integer({ min: SUPPORTED_RANGE.end - 3 * DAY, max: LAST_RFC3339 }),
      fc.integer({ min: -62_167_219_200_000, max: LAST_RFC3339 }),
    )
    const when = fc.oneof(
      instant.map((at) => ({ start: new Date(at).toISOString() })),
      instant.map((at) => ({ notAfter: new Date(at).toISOString() })),
      instant.map((at) => ({ date: new Date(at).toISOString().slice(0, 10) })),
    )
    await fc.assert(
      fc.asyncProperty(when, fc.integer({ min: 5, max: 1440 }), async (window, durationMinutes) => {
        const response = await post('/v1/events/preview', createBody({ durationMinutes, ...window }))
        t.ok([200, 422].includes(response.statusCode), `${JSON.stringify(window)}: ${response.statusCode}`)
        if (response.statusCode !== 200) return
        const { start, end } = response.json<{ start: string | null; end: string | null }>()
        for (const at of [start, end]) {
          if (at !== null) t.ok(Date.parse(at) <= SUPPORTED_RANGE.end, 'placed within the range')
        }
      }),
      { numRuns: 80 },
    )
  })
})

t.test('a pending event whose job failed for good reads failed NOT_APPLIED on the API', async (t) => {
  const app = await build(t)
  const failed = await seedEvent(
    app,
    anEvent({
      status: 'failed',
      failure: { code: 'NOT_APPLIED', message: 'The create could not be applied', alternatives: [] },
    }),
  )
  const response = await app.inject({
    method: 'GET',
    url: `/v1/events/${failed.id}/status`,
    headers: bearer(),
  })
  t.match(response.json(), { status: 'failed', failure: { code: 'NOT_APPLIED' } })
  const cancel = await app.inject({
    method: 'POST',
    url: `/v1/events/${failed.id}/cancel`,
    headers: bearer(),
  })
  t.equal(cancel.statusCode, 202, 'can be cancelled')
})

t.test(
  'attachment file names (multipart, not a schema field) obey the text rule once sanitized',
  async (t) => {
    t.equal(sanitizeFilename('a\u0000b\ud800.pdf'), 'ab.pdf')
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (raw) =>
        isStorableText(sanitizeFilename(raw)),
      ),
      { numRuns: 500 },
    )
  },
)
