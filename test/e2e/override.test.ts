import { at, upcomingWeekday } from '@scheduler/test-helpers/calendar-days'
import { startService } from '@scheduler/test-helpers/service'
import t from 'tap'

const ZONE = 'Europe/Berlin'

t.test('a fixed event overrides auto events: they move, or fail when nothing is left', async (t) => {
  const service = await startService(t, {
    CALENDAR_TIMEZONE: ZONE,
    CALENDAR_WORKING_HOURS: 'mon-fri 09:00-12:00',
  })
  await service.startApi()
  service.startWorker()
  const day = upcomingWeekday(ZONE)
  const date = day.toISODate() ?? ''

  const a = await service.createAndPlace({ title: 'A', durationMinutes: 60, date })
  const b = await service.createAndPlace({ title: 'B', durationMinutes: 60, date })
  t.equal(a.start, at(day, '09:00'))
  t.equal(b.start, at(day, '10:00'))

  // A fixed event 09:30–10:30 overlaps A and B. Displaced events are re-placed by their original start:
  // A takes 10:30–11:30, and then B (60 minutes) fits nowhere that day.
  const created = await service.call('POST', '/v1/events', {
    body: { title: 'Fixed', durationMinutes: 60, start: at(day, '09:30') },
  })
  t.equal(created.status, 202)
  t.equal(created.headers.get('location'), `/v1/events/${created.body.event.id}`)
  const job = await service.waitForJob(created.body.job.id)
  t.equal(job.state, 'completed')
  const fixed = (await service.call('GET', `/v1/events/${created.body.event.id}`)).body
  t.match(fixed, { status: 'scheduled', placement: 'fixed', start: at(day, '09:30'), end: at(day, '10:30') })

  const displaced = job.outcome.displaced as Array<{ eventId: string; to: unknown }>
  t.same(
    displaced.map((move) => move.eventId),
    [a.id, b.id],
    'displaced in order of their start',
  )
  const aNow = (await service.call('GET', `/v1/events/${a.id}`)).body
  const bNow = (await service.call('GET', `/v1/events/${b.id}`)).body
  t.match(aNow, { status: 'scheduled', start: at(day, '10:30') })
  t.match(bNow, { status: 'failed', start: null, failure: { code: 'NO_SLOT_AVAILABLE' } })
  t.same(displaced[1]?.to, null)
  const c = await service.createAndPlace({ title: 'C', durationMinutes: 30, date })
  t.equal(c.start, at(day, '09:00'), 'the gap before the fixed event is used')

  const conflict = await service.createAndPlace({
    title: 'Clash',
    durationMinutes: 15,
    start: at(day, '09:45'),
  })
  t.match(conflict, { status: 'failed', failure: { code: 'CONFLICT' } }, 'fixed never overrides fixed')

  const evening = await service.createAndPlace({
    title: 'Dinner',
    durationMinutes: 60,
    start: at(day, '19:00'),
  })
  t.match(evening, { status: 'scheduled', outsideWorkingHours: true }, 'fixed events ignore working hours')
})

t.test('preview answers where an event would go and changes nothing', async (t) => {
  const service = await startService(t, { CALENDAR_TIMEZONE: ZONE })
  await service.startApi()
  service.startWorker()
  const day = upcomingWeekday(ZONE)
  const a = await service.createAndPlace({ title: 'A', durationMinutes: 30, date: day.toISODate() })

  const preview = await service.call('POST', '/v1/events/preview', {
    body: { title: 'Fixed', durationMinutes: 30, start: at(day, '09:00') },
  })
  t.equal(preview.status, 200)
  t.match(preview.body, {
    start: at(day, '09:00'),
    failure: null,
    displaced: [{ eventId: a.id, from: { start: at(day, '09:00') }, to: { start: at(day, '09:30') } }],
  })
  const still = (await service.call('GET', `/v1/events/${a.id}`)).body
  t.equal(still.start, at(day, '09:00'))
  const list = await service.call('GET', '/v1/events')
  t.equal(list.body.items.length, 1)
})
