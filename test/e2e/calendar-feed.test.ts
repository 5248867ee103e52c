import { at, upcomingWeekday } from '@scheduler/test-helpers/calendar-days'
import { startWorker } from '@scheduler/worker'
import ICAL from 'ical.js'
import t from 'tap'
import { bearer, build } from '../../apps/api/test/helper.js'

const ZONE = 'America/New_York'
type Logger = Parameters<typeof startWorker>[1]

/** The feed's events by UID, as a calendar app parses them (ical.js). */
function parseFeed(text: string): Map<string, ICAL.Event> {
  const calendar = new ICAL.Component(ICAL.parse(text))
  const events = calendar.getAllSubcomponents('vevent').map((component) => new ICAL.Event(component))
  return new Map(events.map((event) => [event.uid, event]))
}

function utc(time: ICAL.Time): string {
  return time.toJSDate().toISOString()
}

// The API (through inject) and a placement worker in this process, on a fresh database and Redis prefix:
// events are really created, placed, moved and cancelled before the feed is read.
t.test('the ICS feed, as a calendar app subscribed to it sees the calendar', async (t) => {
  const app = await build(t, {
    CALENDAR_TIMEZONE: ZONE,
    WORKER_METRICS_PORT: '0',
    RATE_LIMIT_PER_MINUTE: '0',
  })
  const worker = await startWorker(app.config, app.log as unknown as Logger)
  let workerClosed = false
  const closeWorker = async () => {
    if (workerClosed) return
    workerClosed = true
    await worker.close()
  }
  // The worker closes before the app's teardown drops the database (here, or in teardown after a failure)
  t.teardown(closeWorker)
  const day = upcomingWeekday(ZONE)
  const auth = bearer()

  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected field by field
  async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: object): Promise<any> {
    const answer = await app.inject({ method, url, headers: auth, ...(body ? { payload: body } : {}) })
    return { status: answer.statusCode, body: answer.body ? answer.json() : null }
  }
  async function waitForJob(jobId: string) {
    for (let i = 0; i < 600; i++) {
      const job = await call('GET', `/v1/jobs/${jobId}`)
      if (job.body.state === 'completed' || job.body.state === 'failed') return job.body
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`job ${jobId} did not finish`)
  }
  async function createAndPlace(body: object) {
    const created = await call('POST', '/v1/events', body)
    if (created.status !== 202) throw new Error(`create answered ${created.status}`)
    await waitForJob(created.body.job.id)
    return (await call('GET', `/v1/events/${created.body.event.id}`)).body
  }

  const created = await call('POST', '/v1/calendar/feed-tokens', { label: 'Phone' })
  t.equal(created.status, 201)
  const { token } = created.body as { token: string }
  const feedUrl = `/v1/calendar.ics?token=${token}`
  const fetchFeed = async () => {
    // No Authorization header: the feed token is the credential
    const response = await app.inject({ method: 'GET', url: feedUrl })
    t.equal(response.statusCode, 200)
    t.equal(response.headers['content-type'], 'text/calendar; charset=utf-8')
    return parseFeed(response.body)
  }

  const board = await createAndPlace({
    title: 'Board sync',
    durationMinutes: 30,
    start: at(day, '10:00'),
    location: 'Room 4',
    attendees: [{ email: 'ann@example.com', name: 'Ann' }],
  })
  const auto = await createAndPlace({ title: 'Planning', durationMinutes: 60, date: day.toISODate() })
  const doomed = await createAndPlace({
    title: 'Called off',
    durationMinutes: 30,
    start: at(day, '16:00'),
  })
  const pending = await call('POST', '/v1/events', {
    title: 'Never placed',
    durationMinutes: 30,
    start: at(day, '10:00'),
  })
  await waitForJob(pending.body.job.id)
  for (const event of [board, auto, doomed]) t.equal(event.status, 'scheduled', event.title)

  const first = await fetchFeed()
  for (const event of [board, auto, doomed]) {
    const entry = first.get(`${event.id}@scheduler-api`)
    t.ok(entry, `${event.title} is in the feed`)
    t.equal(entry && utc(entry.startDate), event.start, `${event.title} starts at its UTC start`)
    t.equal(entry && utc(entry.endDate), event.end, `${event.title} ends at its UTC end`)
  }
  t.notOk(first.has(`${pending.body.event.id}@scheduler-api`), 'a failed event (CONFLICT) is not in the feed')
  const firstBoard = first.get(`${board.id}@scheduler-api`)
  t.equal(firstBoard?.location, 'Room 4')
  t.equal(firstBoard?.component.getFirstPropertyValue('status'), 'CONFIRMED')

  // Reschedule the fixed event and cancel another: the same UIDs, a higher SEQUENCE, CANCELLED
  const moved = await call('PATCH', `/v1/events/${board.id}`, { start: at(day, '14:00') })
  t.equal(moved.status, 202)
  await waitForJob(moved.body.job.id)
  const cancelled = await call('POST', `/v1/events/${doomed.id}/cancel`)
  await waitForJob(cancelled.body.job.id)

  const second = await fetchFeed()
  const secondBoard = second.get(`${board.id}@scheduler-api`)
  t.ok(secondBoard, 'the UID is stable across the reschedule')
  t.equal(secondBoard && utc(secondBoard.startDate), at(day, '14:00'))
  t.ok((secondBoard?.sequence ?? 0) > (firstBoard?.sequence ?? 0), 'SEQUENCE increased')
  t.equal(second.get(`${doomed.id}@scheduler-api`)?.component.getFirstPropertyValue('status'), 'CANCELLED')
  t.equal(second.get(`${auto.id}@scheduler-api`)?.sequence, first.get(`${auto.id}@scheduler-api`)?.sequence)

  // Revoked and unknown tokens: 404
  const revoke = await call('DELETE', `/v1/calendar/feed-tokens/${created.body.id}`)
  t.equal(revoke.status, 204)
  t.equal((await app.inject({ method: 'GET', url: feedUrl })).statusCode, 404)
  const unknown = await app.inject({ method: 'GET', url: `/v1/calendar.ics?token=ics_${'x'.repeat(43)}` })
  t.equal(unknown.statusCode, 404)
  t.match(unknown.headers['content-type'], /application\/problem\+json/)
  await closeWorker()
})
