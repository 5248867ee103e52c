import { initialCalendar, loadConfig } from '@scheduler/config'
import t from 'tap'
import { bearer, build, createBody } from '../../../helper.js'

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

t.test('working hours across midnight and canonical zone names', async (t) => {
  const app = await build(t, {
    CALENDAR_TIMEZONE: 'etc/utc',
    CALENDAR_WORKING_HOURS: 'mon 22:00-24:00; tue-fri 00:00-02:00,22:00-24:00; sat 00:00-02:00',
    CALENDAR_SLOT_MINUTES: '60',
  })
  const admin = bearer({ scopes: ['calendar:admin'] })
  const reader = bearer({ scopes: ['events:read'] })
  const put = (payload: Record<string, unknown>) =>
    app.inject({
      method: 'PUT',
      url: '/v1/calendar',
      headers: admin,
      payload: { bufferMinutes: 0, slotMinutes: 60, minNoticeMinutes: 0, horizonDays: 60, ...payload },
    })
  const monday = nextMonday()

  t.test('the environment: zone spelled as the tz database does, hours running past midnight', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/v1/calendar', headers: reader })
    t.equal(response.statusCode, 200)
    t.match(response.json(), {
      timezone: 'Etc/UTC',
      workingHours: {
        mon: [{ start: '22:00', end: '24:00' }],
        tue: [
          { start: '00:00', end: '02:00' },
          { start: '22:00', end: '24:00' },
        ],
        sat: [{ start: '00:00', end: '02:00' }],
        sun: [],
      },
    })
    const config = loadConfig({
      CALENDAR_TIMEZONE: 'america/new_york',
      CALENDAR_WORKING_HOURS: 'mon-fri 22:00-02:00',
    })
    t.match(initialCalendar(config), {
      timezone: 'America/New_York',
      workingHours: { mon: [{ start: '22:00', end: '02:00' }], sat: [] },
    })
    t.throws(() => loadConfig({ CALENDAR_TIMEZONE: 'Nowhere/Land' }), /is not a valid IANA time zone/)
    t.throws(
      () => loadConfig({ CALENDAR_WORKING_HOURS: 'mon 22:00-02:00; tue 01:00-03:00' }),
      /tue\[0\]: 01:00-03:00 overlaps mon 22:00-02:00, which runs into tue/,
    )
  })

  t.test('availability and preview place events across midnight', async (t) => {
    const availability = await app.inject({
      method: 'GET',
      url: '/v1/availability',
      query: { from: iso(monday), to: iso(monday + DAY + 12 * HOUR), durationMinutes: '180' },
      headers: reader,
    })
    t.equal(availability.statusCode, 200)
    t.same(availability.json().slots, [
      { start: iso(monday + 22 * HOUR), end: iso(monday + DAY + 1 * HOUR) },
      { start: iso(monday + 23 * HOUR), end: iso(monday + DAY + 2 * HOUR) },
    ])
    const preview = await app.inject({
      method: 'POST',
      url: '/v1/events/preview',
      headers: reader,
      payload: createBody({ durationMinutes: 240, notBefore: iso(monday) }),
    })
    t.equal(preview.statusCode, 200)
    t.match(preview.json(), {
      start: iso(monday + 22 * HOUR),
      end: iso(monday + DAY + 2 * HOUR),
      failure: null,
    })
  })

  t.test('PUT: an overnight range, and a zone in any case', async (t) => {
    const response = await put({
      timezone: 'america/new_york',
      workingHours: { mon: [{ start: '22:00', end: '02:00' }], sun: [{ start: '09:00', end: '09:00' }] },
    })
    t.equal(response.statusCode, 200)
    t.match(response.json(), {
      timezone: 'America/New_York',
      workingHours: {
        mon: [{ start: '22:00', end: '02:00' }],
        sun: [{ start: '09:00', end: '09:00' }],
        tue: [],
      },
    })
    const read = await app.inject({ method: 'GET', url: '/v1/calendar', headers: reader })
    t.same(read.json(), response.json())
  })

  t.test('PUT: unknown zones and overlaps with the night before are 422, and change nothing', async (t) => {
    for (const [timezone, workingHours, path] of [
      ['Nowhere/Land', {}, '/body/timezone'],
      ['+05:30', {}, '/body/timezone'],
      [
        'UTC',
        { mon: [{ start: '22:00', end: '02:00' }], tue: [{ start: '01:00', end: '03:00' }] },
        '/body/workingHours/tue/0',
      ],
      [
        'UTC',
        {
          mon: [
            { start: '22:00', end: '02:00' },
            { start: '23:00', end: '23:30' },
          ],
        },
        '/body/workingHours/mon/1',
      ],
    ] as const) {
      const response = await put({ timezone, workingHours })
      t.equal(response.statusCode, 422, path)
      t.match(response.json(), { status: 422, errors: [{ path }] }, path)
    }
    const read = await app.inject({ method: 'GET', url: '/v1/calendar', headers: reader })
    t.equal(read.json().timezone, 'America/New_York', 'unchanged')
  })
})
