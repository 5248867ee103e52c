import t from 'tap'
import { bearer, build } from '../../../helper.js'

const week = (ranges: { start: string; end: string }[]) => ({
  mon: ranges,
  tue: ranges,
  wed: ranges,
  thu: ranges,
  fri: ranges,
})

function settings(overrides: Record<string, unknown> = {}) {
  return {
    timezone: 'America/New_York',
    workingHours: week([
      { start: '09:00', end: '12:00' },
      { start: '13:00', end: '17:00' },
    ]),
    bufferMinutes: 10,
    slotMinutes: 30,
    minNoticeMinutes: 60,
    horizonDays: 30,
    blackouts: [{ start: '2031-12-24T00:00:00-05:00', end: '2031-12-27T00:00:00-05:00', reason: 'Holidays' }],
    ...overrides,
  }
}

t.test('calendar settings', async (t) => {
  const app = await build(t, {
    CALENDAR_TIMEZONE: 'Europe/Berlin',
    CALENDAR_WORKING_HOURS: 'mon-thu 08:00-16:00',
    CALENDAR_SLOT_MINUTES: '20',
  })
  const admin = bearer({ scopes: ['calendar:admin'] })
  const put = (payload: unknown, headers: Record<string, string> = admin) =>
    app.inject({ method: 'PUT', url: '/v1/calendar', headers, payload: payload as object })

  t.test('GET: the initial settings come from the environment', async (t) => {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/calendar',
      headers: bearer({ scopes: ['events:read'] }),
    })
    t.equal(response.statusCode, 200)
    t.same(response.json(), {
      id: 'default',
      timezone: 'Europe/Berlin',
      workingHours: {
        mon: [{ start: '08:00', end: '16:00' }],
        tue: [{ start: '08:00', end: '16:00' }],
        wed: [{ start: '08:00', end: '16:00' }],
        thu: [{ start: '08:00', end: '16:00' }],
        fri: [],
        sat: [],
        sun: [],
      },
      bufferMinutes: 0,
      slotMinutes: 20,
      minNoticeMinutes: 0,
      horizonDays: 60,
      blackouts: [],
    })
  })

  t.test('PUT replaces the settings; missing days have no hours', async (t) => {
    const response = await put({ id: 'default', ...settings() })
    t.equal(response.statusCode, 200)
    t.match(response.json(), {
      id: 'default',
      timezone: 'America/New_York',
      workingHours: { mon: [{}, {}], sat: [], sun: [] },
      slotMinutes: 30,
      blackouts: [{ start: '2031-12-24T05:00:00.000Z', end: '2031-12-27T05:00:00.000Z', reason: 'Holidays' }],
    })
    const read = await app.inject({ method: 'GET', url: '/v1/calendar', headers: bearer() })
    t.same(read.json(), response.json())
  })

  t.test('needs calendar:admin', async (t) => {
    t.equal((await put(settings(), bearer({ scopes: ['events:read', 'events:write'] }))).statusCode, 403)
  })

  t.test('schema violations are 400', async (t) => {
    for (const [name, payload] of [
      ['another calendar id', { id: 'other', ...settings() }],
      ['an unknown field', settings({ colour: 'red' })],
      ['a string number', settings({ slotMinutes: '30' })],
      ['a time that is not HH:MM', settings({ workingHours: { mon: [{ start: '9am', end: '17:00' }] } })],
      [
        'a blackout without an offset',
        settings({ blackouts: [{ start: '2031-12-24T00:00:00', end: '2031-12-25T00:00:00Z' }] }),
      ],
      ['a missing field', { timezone: 'UTC' }],
    ] as const) {
      const response = await put(payload)
      t.equal(response.statusCode, 400, name)
      t.match(response.json(), { status: 400, errors: [{ path: /^\/body/ }] }, name)
    }
  })

  t.test('settings that do not fit together are 422 with every problem', async (t) => {
    const response = await put(
      settings({
        timezone: 'Mars/Olympus_Mons',
        workingHours: {
          mon: [{ start: '24:00', end: '12:00' }],
          tue: [
            { start: '09:00', end: '12:00' },
            { start: '11:00', end: '14:00' },
          ],
        },
        slotMinutes: 0,
        blackouts: [{ start: '2031-12-25T00:00:00Z', end: '2031-12-24T00:00:00Z' }],
      }),
    )
    t.equal(response.statusCode, 422)
    const problem = response.json()
    const paths = problem.errors.map((error: { path: string }) => error.path)
    t.ok(paths.includes('/body/timezone'), 'timezone')
    t.ok(
      paths.some((path: string) => path.startsWith('/body/workingHours/mon/0')),
      'mon',
    )
    t.ok(
      paths.some((path: string) => path.startsWith('/body/workingHours/tue/1')),
      'tue overlap',
    )
    t.ok(paths.includes('/body/slotMinutes'), 'slotMinutes')
    t.ok(
      paths.some((path: string) => path.startsWith('/body/blackouts/0')),
      'blackout',
    )
    const read = await app.inject({ method: 'GET', url: '/v1/calendar', headers: bearer() })
    t.equal(read.json().timezone, 'America/New_York', 'unchanged')
  })

  t.test('Idempotency-Key on PUT', async (t) => {
    const headers = { ...admin, 'idempotency-key': 'calendar-1' }
    const first = await put(settings({ bufferMinutes: 5 }), headers)
    t.equal(first.statusCode, 200)
    const again = await put(settings({ bufferMinutes: 5 }), headers)
    t.equal(again.statusCode, 200)
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.same(again.json(), first.json())
    t.equal((await put(settings({ bufferMinutes: 6 }), headers)).statusCode, 422)
  })
})
