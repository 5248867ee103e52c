import { setTimeout as sleep } from 'node:timers/promises'
import { at, upcomingWeekday } from '@scheduler/test-helpers/calendar-days'
import { startService, waitUntil } from '@scheduler/test-helpers/service'
import t from 'tap'

const ZONE = 'Asia/Kolkata'

t.test('the life of events through the API, as the auto event manager sees it', async (t) => {
  const service = await startService(t, {
    CALENDAR_TIMEZONE: ZONE,
    CALENDAR_WORKING_HOURS: 'mon-fri 09:00-17:00',
  })
  await service.startApi()
  service.startWorker()
  const day = upcomingWeekday(ZONE)
  const date = day.toISODate() ?? ''
  const nextDate = upcomingWeekday(ZONE, 1).toISODate() ?? ''

  t.test('authentication and bad input change nothing', async (t) => {
    const anonymous = await service.call('POST', '/v1/events', {
      body: { title: 'x', durationMinutes: 30 },
      token: null,
    })
    t.equal(anonymous.status, 401)
    t.match(anonymous.headers.get('content-type'), /application\/problem\+json/)
    t.match(anonymous.headers.get('www-authenticate'), /^Bearer/)
    const readOnly = await service.call('POST', '/v1/events', {
      body: { title: 'x', durationMinutes: 30 },
      token: service.token(['events:read']),
    })
    t.equal(readOnly.status, 403)
    const coerced = await service.call('POST', '/v1/events', { body: { title: 42, durationMinutes: 30 } })
    t.equal(coerced.status, 400)
    t.ok(coerced.body.errors.length > 0)
    const unknown = await service.call('POST', '/v1/events', {
      body: { title: 'x', durationMinutes: 30, colour: 'red' },
    })
    t.equal(unknown.status, 400)
    const past = await service.call('POST', '/v1/events', {
      body: { title: 'x', durationMinutes: 30, start: '2020-01-01T10:00:00Z' },
    })
    t.equal(past.status, 422)
    const list = await service.call('GET', '/v1/events')
    t.same(list.body.items, [], 'nothing was stored')
  })

  t.test('idempotent creates answer the same event and job once', async (t) => {
    const body = { title: 'Once', durationMinutes: 30, date }
    const headers = { 'idempotency-key': 'create-once-1' }
    const first = await service.call('POST', '/v1/events', { body, headers })
    const again = await service.call('POST', '/v1/events', { body, headers })
    t.equal(first.status, 202)
    t.equal(again.status, 202)
    t.equal(again.body.event.id, first.body.event.id)
    t.equal(again.body.job.id, first.body.job.id)
    const other = await service.call('POST', '/v1/events', { body: { ...body, title: 'Twice' }, headers })
    t.equal(other.status, 422)
    await service.waitForJob(first.body.job.id)
    const list = await service.call('GET', '/v1/events')
    t.equal(list.body.items.filter((event: { title: string }) => event.title === 'Once').length, 1)
  })

  t.test('patch, If-Match, cancel and delete', async (t) => {
    const event = await service.createAndPlace({ title: 'Draft', durationMinutes: 30, date })
    const stale = await service.call('PATCH', `/v1/events/${event.id}`, {
      body: { title: 'Nope' },
      headers: { 'if-match': `"${event.version + 5}"` },
    })
    t.equal(stale.status, 412)

    const renamed = await service.call('PATCH', `/v1/events/${event.id}`, {
      body: { title: 'Final', durationMinutes: 45 },
      headers: { 'if-match': `"${event.version}"` },
    })
    t.equal(renamed.status, 202)
    await service.waitForJob(renamed.body.job.id)
    const after = (await service.call('GET', `/v1/events/${event.id}`)).body
    t.match(after, { title: 'Final', durationMinutes: 45, start: event.start, version: event.version + 1 })

    const moved = await service.call('PATCH', `/v1/events/${event.id}`, {
      body: { date: nextDate },
    })
    await service.waitForJob(moved.body.job.id)
    const movedEvent = (await service.call('GET', `/v1/events/${event.id}`)).body
    t.equal(movedEvent.status, 'scheduled')
    t.not(movedEvent.start, event.start)

    const badStatus = await service.call('PATCH', `/v1/events/${event.id}`, {
      body: { status: 'in_progress' },
    })
    t.equal(badStatus.status, 422)

    const cancel = await service.call('POST', `/v1/events/${event.id}/cancel`)
    t.equal(cancel.status, 202)
    await service.waitForJob(cancel.body.job.id)
    const cancelled = (await service.call('GET', `/v1/events/${event.id}`)).body
    t.equal(cancelled.status, 'cancelled')

    // Its time is free again: a new event on that day takes it.
    const successor = await service.createAndPlace({
      title: 'Successor',
      durationMinutes: 45,
      date: nextDate,
    })
    t.equal(successor.start, movedEvent.start)

    const deleted = await service.call('DELETE', `/v1/events/${successor.id}`)
    t.equal(deleted.status, 202)
    await service.waitForJob(deleted.body.job.id)
    t.equal((await service.call('GET', `/v1/events/${successor.id}`)).status, 404)
  })

  t.test('paging visits every event exactly once, in both orders', async (t) => {
    for (let i = 0; i < 12; i++) {
      await service.call('POST', '/v1/events', { body: { title: `Paged ${i}`, durationMinutes: 15, date } })
    }
    await waitUntil(async () => {
      const page = await service.call('GET', '/v1/events?status=pending&limit=1')
      return page.body.items.length === 0
    }, 20_000)
    for (const order of ['start', 'updated']) {
      const seen: string[] = []
      let cursor: string | null = null
      do {
        const query: string = `/v1/events?order=${order}&limit=5${cursor ? `&cursor=${cursor}` : ''}`
        const page = await service.call('GET', query)
        t.equal(page.status, 200)
        seen.push(...page.body.items.map((event: { id: string }) => event.id))
        cursor = page.body.nextCursor
      } while (cursor)
      t.equal(new Set(seen).size, seen.length, `${order}: no event twice`)
      const all = await service.call('GET', '/v1/events?limit=500')
      t.equal(seen.length, all.body.items.length, `${order}: every event once`)
    }
    const bad = await service.call('GET', '/v1/events?cursor=not-a-cursor')
    t.equal(bad.status, 400)
  })

  t.test('status follows the clock: scheduled, in progress', async (t) => {
    const start = new Date(Date.now() + 4_000).toISOString()
    const event = await service.createAndPlace({ title: 'Soon', durationMinutes: 5, start })
    t.equal(event.status, 'scheduled')
    await sleep(Math.max(0, Date.parse(start) - Date.now()) + 200)
    const now = await service.call('GET', `/v1/events/${event.id}/status`)
    t.equal(now.body.status, 'in_progress')
    const filtered = await service.call('GET', '/v1/events?status=in_progress')
    t.same(
      filtered.body.items.map((item: { id: string }) => item.id),
      [event.id],
    )
  })

  t.test('the times answered are UTC with milliseconds', async (t) => {
    const event = await service.createAndPlace({
      title: 'Format',
      durationMinutes: 15,
      start: at(day, '23:00'),
    })
    t.match(event.start, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  })
})
