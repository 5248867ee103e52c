import { CALENDAR_ID_DEFAULT } from '@scheduler/core'
import t from 'tap'
import { aScheduledEvent, bearer, build, createBody, seedEvent } from '../../../helper.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** The next Monday 00:00 UTC at least two days ahead. */
function nextMonday(): number {
  const day = Math.floor(Date.now() / DAY) * DAY + 2 * DAY
  const weekday = (new Date(day).getUTCDay() + 6) % 7
  return day + ((7 - weekday) % 7) * DAY
}

t.test('POST /v1/events/preview', async (t) => {
  const app = await build(t, { CALENDAR_TIMEZONE: 'UTC', CALENDAR_WORKING_HOURS: 'mon-fri 09:00-17:00' })
  const monday = nextMonday()
  const date = new Date(monday).toISOString().slice(0, 10)
  const preview = (payload: unknown, scopes = ['events:read']) =>
    app.inject({
      method: 'POST',
      url: '/v1/events/preview',
      headers: bearer({ scopes }),
      payload: payload as object,
    })

  t.test('an auto event on a given day goes to its first free working slot', async (t) => {
    await seedEvent(app, aScheduledEvent(monday + 9 * HOUR, 60))
    const response = await preview(createBody({ date, durationMinutes: 30 }))
    t.equal(response.statusCode, 200)
    t.same(response.json(), {
      start: new Date(monday + 10 * HOUR).toISOString(),
      end: new Date(monday + 10 * HOUR + 30 * MINUTE).toISOString(),
      failure: null,
      displaced: [],
    })
  })

  t.test('a required attendee’s busy time is avoided', async (t) => {
    await app.store.putBusy(CALENDAR_ID_DEFAULT, 'busy@example.com', [
      { start: monday + 10 * HOUR, end: monday + 12 * HOUR },
    ])
    const response = await preview(
      createBody({ date, durationMinutes: 30, attendees: [{ email: 'Busy@Example.com' }] }),
    )
    t.equal(response.json().start, new Date(monday + 12 * HOUR).toISOString())
  })

  t.test('a fixed event over an auto one shows what it would move', async (t) => {
    const tuesday = new Date(monday + DAY).toISOString().slice(0, 10)
    const auto = await seedEvent(
      app,
      aScheduledEvent(monday + DAY + 9 * HOUR, 60, {
        placement: 'auto',
        window: { kind: 'date', date: tuesday },
      }),
    )
    const response = await preview(
      createBody({ start: new Date(monday + DAY + 9 * HOUR).toISOString(), durationMinutes: 60 }),
    )
    t.equal(response.statusCode, 200)
    t.match(response.json(), {
      start: new Date(monday + DAY + 9 * HOUR).toISOString(),
      failure: null,
      displaced: [
        {
          eventId: auto.id,
          from: { start: new Date(monday + DAY + 9 * HOUR).toISOString() },
          to: { start: new Date(monday + DAY + 10 * HOUR).toISOString() },
        },
      ],
    })
  })

  t.test('a fixed event over a fixed one fails with CONFLICT', async (t) => {
    await seedEvent(
      app,
      aScheduledEvent(monday + 2 * DAY + 9 * HOUR, 60, {
        placement: 'fixed',
        requestedStart: monday + 2 * DAY + 9 * HOUR,
      }),
    )
    const response = await preview(
      createBody({ start: new Date(monday + 2 * DAY + 9 * HOUR + 30 * MINUTE).toISOString() }),
    )
    t.match(response.json(), { start: null, end: null, failure: { code: 'CONFLICT', alternatives: Array } })
  })

  t.test('a day past the horizon fails with OUTSIDE_HORIZON', async (t) => {
    const far = new Date(Date.now() + 400 * DAY).toISOString().slice(0, 10)
    t.match((await preview(createBody({ date: far }))).json(), { failure: { code: 'OUTSIDE_HORIZON' } })
  })

  t.test('nothing is written', async (t) => {
    const before = await app.store.listEvents(CALENDAR_ID_DEFAULT, {
      limit: 500,
      order: 'start',
      now: Date.now(),
    })
    await preview(createBody())
    const after = await app.store.listEvents(CALENDAR_ID_DEFAULT, {
      limit: 500,
      order: 'start',
      now: Date.now(),
    })
    t.equal(after.items.length, before.items.length)
  })

  t.test('the create body rules apply', async (t) => {
    t.equal((await preview(createBody({ title: 42 }))).statusCode, 400)
    t.equal((await preview(createBody({ start: new Date(Date.now() - HOUR).toISOString() }))).statusCode, 422)
    t.equal((await preview(createBody(), ['events:write'])).statusCode, 403)
  })
})
