import { CALENDAR_ID_DEFAULT } from '@scheduler/core'
import t from 'tap'
import { aScheduledEvent, bearer, build, seedEvent } from '../../../helper.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** The next Monday 00:00 UTC at least two days ahead. */
function nextMonday(): number {
  const day = Math.floor(Date.now() / DAY) * DAY + 2 * DAY
  const weekday = (new Date(day).getUTCDay() + 6) % 7
  return day + ((7 - weekday) % 7) * DAY
}

const iso = (instant: number) => new Date(instant).toISOString()

interface Slot {
  start: string
  end: string
}

t.test('GET /v1/availability', async (t) => {
  const app = await build(t, {
    CALENDAR_TIMEZONE: 'UTC',
    CALENDAR_WORKING_HOURS: 'mon-fri 09:00-17:00',
    CALENDAR_SLOT_MINUTES: '30',
  })
  // Monday: 09:00–10:00 occupied by an event that carol attends; Tuesday: free
  const monday = nextMonday()
  await seedEvent(
    app,
    aScheduledEvent(monday + 9 * HOUR, 60, { attendees: [{ email: 'carol@example.com', required: true }] }),
  )
  await app.store.putBusy(CALENDAR_ID_DEFAULT, 'ann@example.com', [
    { start: monday + 10 * HOUR, end: monday + 12 * HOUR },
  ])
  await app.store.putBusy(CALENDAR_ID_DEFAULT, 'bob@example.com', [
    { start: monday + 12 * HOUR + 30 * MINUTE, end: monday + 14 * HOUR },
  ])

  const availability = (query: Record<string, string | number>, scopes = ['events:read']) =>
    app.inject({
      method: 'GET',
      url: '/v1/availability',
      query: Object.fromEntries(Object.entries(query).map(([key, value]) => [key, String(value)])),
      headers: bearer({ scopes }),
    })
  const mondayQuery = (extra: Record<string, string | number> = {}) => ({
    from: iso(monday),
    to: iso(monday + DAY),
    durationMinutes: 60,
    ...extra,
  })
  const starts = (slots: Slot[]) => slots.map((slot) => (Date.parse(slot.start) - monday) / HOUR)

  t.test('without attendees: the working-hours slots around occupied events, in order', async (t) => {
    const response = await availability(mondayQuery())
    t.equal(response.statusCode, 200)
    const { slots } = response.json()
    t.same(slots[0], { start: iso(monday + 10 * HOUR), end: iso(monday + 11 * HOUR) })
    t.same(starts(slots), [10, 10.5, 11, 11.5, 12, 12.5, 13, 13.5, 14, 14.5, 15, 15.5, 16])
  })

  t.test('a listed attendee’s busy times are skipped', async (t) => {
    const response = await availability(mondayQuery({ attendees: 'Ann@Example.com' }))
    t.equal(response.statusCode, 200)
    t.same(starts(response.json().slots), [12, 12.5, 13, 13.5, 14, 14.5, 15, 15.5, 16])
  })

  t.test('every listed attendee counts: comma list or repeated parameter', async (t) => {
    const expected = [14, 14.5, 15, 15.5, 16]
    const comma = await availability(mondayQuery({ attendees: 'ann@example.com,bob@example.com' }))
    t.same(starts(comma.json().slots), expected)
    const repeated = await app.inject({
      method: 'GET',
      url: `/v1/availability?from=${encodeURIComponent(iso(monday))}&to=${encodeURIComponent(iso(monday + DAY))}&durationMinutes=60&attendees=ann@example.com&attendees=bob@example.com`,
      headers: bearer({ scopes: ['events:read'] }),
    })
    t.equal(repeated.statusCode, 200)
    t.same(starts(repeated.json().slots), expected)
  })

  t.test('an attendee without busy times changes nothing', async (t) => {
    const plain = await availability(mondayQuery())
    const carol = await availability(mondayQuery({ attendees: 'carol@example.com,nobody@example.com' }))
    t.same(carol.json(), plain.json())
  })

  t.test('slots lie within [from, to)', async (t) => {
    const from = monday + 13 * HOUR + 10 * MINUTE
    const to = monday + 15 * HOUR
    const response = await availability({ from: iso(from), to: iso(to), durationMinutes: 30 })
    t.same(response.json(), {
      slots: [
        { start: iso(monday + 13.5 * HOUR), end: iso(monday + 14 * HOUR) },
        { start: iso(monday + 14 * HOUR), end: iso(monday + 14.5 * HOUR) },
        { start: iso(monday + 14.5 * HOUR), end: iso(monday + 15 * HOUR) },
      ],
    })
  })

  t.test('limit caps the list; the default and the maximum are 500', async (t) => {
    const limited = await availability(mondayQuery({ limit: 3 }))
    t.same(starts(limited.json().slots), [10, 10.5, 11])
    const wide = await availability({
      from: iso(monday),
      to: iso(monday + 55 * DAY),
      durationMinutes: 30,
    })
    t.equal(wide.statusCode, 200)
    t.equal(wide.json().slots.length, 500)
  })

  t.test('outside working hours, in the past or beyond the horizon: no slots', async (t) => {
    const evening = await availability({
      from: iso(monday + 18 * HOUR),
      to: iso(monday + 22 * HOUR),
      durationMinutes: 30,
    })
    t.same(evening.json(), { slots: [] })
    const past = await availability({
      from: iso(Date.now() - 3 * DAY),
      to: iso(Date.now() - 2 * DAY),
      durationMinutes: 30,
    })
    t.same(past.json(), { slots: [] })
    const far = await availability({
      from: iso(monday + 200 * DAY),
      to: iso(monday + 201 * DAY),
      durationMinutes: 30,
    })
    t.same(far.json(), { slots: [] })
  })

  t.test('to not after from is a 422', async (t) => {
    for (const to of [monday, monday - HOUR]) {
      const response = await availability({ from: iso(monday), to: iso(to), durationMinutes: 30 })
      t.equal(response.statusCode, 422)
      t.match(response.json(), { status: 422, errors: [{ path: '/query/to' }] })
    }
  })

  t.test('invalid queries are 400 problems naming the parameter', async (t) => {
    const base = mondayQuery()
    const { durationMinutes: _omitted, ...withoutDuration } = base
    const { from: _from, ...withoutFrom } = base
    const cases: [string, Record<string, string | number>, string][] = [
      ['missing durationMinutes', withoutDuration, '/query/durationMinutes'],
      ['missing from', withoutFrom, '/query/from'],
      ['duration under 5', { ...base, durationMinutes: 4 }, '/query/durationMinutes'],
      ['duration over 1440', { ...base, durationMinutes: 1441 }, '/query/durationMinutes'],
      ['duration not a number', { ...base, durationMinutes: 'long' }, '/query/durationMinutes'],
      ['from not a date-time', { ...base, from: 'today' }, '/query/from'],
      ['an attendee not an email', { ...base, attendees: 'ann@example.com,nobody' }, '/query/attendees/1'],
      [
        'more than 100 attendees',
        { ...base, attendees: Array.from({ length: 101 }, (_, i) => `a${i}@example.com`).join(',') },
        '/query/attendees',
      ],
      ['limit 0', { ...base, limit: 0 }, '/query/limit'],
      ['limit 501', { ...base, limit: 501 }, '/query/limit'],
      ['unknown parameter', { ...base, room: '4' }, '/query/room'],
    ]
    for (const [name, query, path] of cases) {
      const response = await availability(query)
      t.equal(response.statusCode, 400, name)
      t.match(response.json(), { status: 400, errors: [{ path }] }, name)
    }
    const hundred = Array.from({ length: 100 }, (_, i) => `a${i}@example.com`).join(',')
    t.equal((await availability({ ...base, attendees: hundred })).statusCode, 200, '100 attendees are fine')
  })

  t.test('needs events:read', async (t) => {
    t.equal((await availability(mondayQuery(), ['events:write'])).statusCode, 403)
  })

  t.test('the route is in the OpenAPI document', async (t) => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const operation = document.paths['/v1/availability'].get
    t.match(operation, {
      tags: ['availability'],
      security: [{ bearerAuth: ['events:read'] }],
      responses: {
        200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Availability' } } } },
        422: {},
      },
    })
    const names = operation.parameters.map((parameter: { name: string }) => parameter.name).sort()
    t.same(names, ['attendees', 'durationMinutes', 'from', 'limit', 'to'])
    t.ok(document.components.schemas.Availability)
  })
})
