import { at, upcomingWeekday } from '@scheduler/test-helpers/calendar-days'
import { startService } from '@scheduler/test-helpers/service'
import t from 'tap'

const ZONE = 'America/New_York'

t.test('auto placement fills the earliest working-hours slots of a non-UTC calendar', async (t) => {
  const service = await startService(t, {
    CALENDAR_TIMEZONE: ZONE,
    CALENDAR_WORKING_HOURS: 'mon-fri 09:00-17:00',
    CALENDAR_SLOT_MINUTES: '15',
  })
  await service.startApi()
  service.startWorker()
  const day = upcomingWeekday(ZONE)
  const date = day.toISODate() ?? ''

  const first = await service.createAndPlace({ title: 'First', durationMinutes: 60, date })
  const second = await service.createAndPlace({ title: 'Second', durationMinutes: 25, date })
  const third = await service.createAndPlace({ title: 'Third', durationMinutes: 30, date })
  t.match(first, { status: 'scheduled', placement: 'auto', start: at(day, '09:00'), end: at(day, '10:00') })
  t.match(second, { status: 'scheduled', start: at(day, '10:00'), end: at(day, '10:25') })
  t.match(
    third,
    { status: 'scheduled', start: at(day, '10:30'), end: at(day, '11:00') },
    'next 15-minute boundary',
  )

  const late = await service.createAndPlace({ title: 'Too long', durationMinutes: 9 * 60, date })
  t.match(late, { status: 'failed', start: null, failure: { code: 'NO_SLOT_AVAILABLE' } })
  t.ok(Array.isArray(late.failure.alternatives))

  const status = await service.call('GET', `/v1/events/${first.id}/status`)
  t.same(Object.keys(status.body).sort(), ['end', 'failure', 'id', 'start', 'status', 'updatedAt'])
  t.equal(status.body.status, 'scheduled')

  const list = await service.call('GET', '/v1/events?order=start')
  t.same(
    list.body.items.map((event: { title: string }) => event.title),
    ['First', 'Second', 'Third', 'Too long'],
    'placed events by start, unplaced last',
  )
})

t.test('windows, the horizon and working hours bound automatic scheduling', async (t) => {
  const service = await startService(t, { CALENDAR_TIMEZONE: ZONE, CALENDAR_HORIZON_DAYS: '20' })
  await service.startApi()
  service.startWorker()
  const day = upcomingWeekday(ZONE)

  const windowed = await service.createAndPlace({
    title: 'Afternoon',
    durationMinutes: 30,
    notBefore: at(day, '13:10'),
    notAfter: at(day, '15:00'),
  })
  t.match(windowed, { status: 'scheduled', start: at(day, '13:15'), window: { notBefore: at(day, '13:10') } })

  const far = day.plus({ days: 40 })
  const outside = await service.createAndPlace({ title: 'Far', durationMinutes: 30, date: far.toISODate() })
  t.match(outside, { status: 'failed', failure: { code: 'OUTSIDE_HORIZON' } })

  const evening = await service.createAndPlace({
    title: 'Evening',
    durationMinutes: 30,
    notBefore: at(day, '18:00'),
    notAfter: at(day, '20:00'),
  })
  t.match(evening, { status: 'failed', failure: { code: 'NO_SLOT_AVAILABLE' } })
  t.equal(evening.failure.alternatives.length, 3, 'three nearest feasible slots outside the window')

  const anywhere = await service.createAndPlace({ title: 'Anywhere', durationMinutes: 45 })
  t.equal(anywhere.status, 'scheduled')
})
