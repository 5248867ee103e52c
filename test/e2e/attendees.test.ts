import { at, upcomingWeekday } from '@scheduler/test-helpers/calendar-days'
import { startService } from '@scheduler/test-helpers/service'
import t from 'tap'

const ZONE = 'America/New_York'

t.test('required attendees’ busy times steer auto placement and availability', async (t) => {
  const service = await startService(t, {
    CALENDAR_TIMEZONE: ZONE,
    CALENDAR_WORKING_HOURS: 'mon-fri 09:00-17:00',
    CALENDAR_SLOT_MINUTES: '15',
  })
  await service.startApi()
  service.startWorker()
  const day = upcomingWeekday(ZONE)
  const date = day.toISODate() ?? ''
  const ann = 'ann@example.com'
  const bob = 'bob@example.com'

  const registered = await service.call('PUT', '/v1/attendees/Ann%40Example.com/busy', {
    body: { busy: [{ start: at(day, '09:00'), end: at(day, '11:00') }] },
  })
  t.equal(registered.status, 200)
  t.same(registered.body, { email: ann, busy: [{ start: at(day, '09:00'), end: at(day, '11:00') }] })
  const bobBusy = [
    { start: at(day, '09:00'), end: at(day, '10:00') },
    { start: at(day, '16:00'), end: at(day, '17:00') },
  ]
  t.equal((await service.call('PUT', `/v1/attendees/${bob}/busy`, { body: { busy: bobBusy } })).status, 200)
  t.same((await service.call('GET', `/v1/attendees/${bob}/busy`)).body, { email: bob, busy: bobBusy })

  // Ann is required (the default): her busy morning is avoided
  const withAnn = await service.createAndPlace({
    title: 'With Ann',
    durationMinutes: 60,
    date,
    attendees: [{ email: 'Ann@example.com' }],
  })
  t.match(withAnn, { status: 'scheduled', start: at(day, '11:00'), end: at(day, '12:00') })

  // Bob's afternoon: it blocks him as a required attendee, not as an optional one
  const window = { notBefore: at(day, '16:00'), notAfter: at(day, '17:00') }
  const bobRequired = await service.createAndPlace({
    title: 'Bob required',
    durationMinutes: 60,
    ...window,
    attendees: [{ email: bob, required: true }],
  })
  t.match(bobRequired, { status: 'failed', failure: { code: 'NO_SLOT_AVAILABLE' } })
  const bobOptional = await service.createAndPlace({
    title: 'Bob optional',
    durationMinutes: 60,
    ...window,
    attendees: [{ email: bob, required: false }],
  })
  t.match(bobOptional, { status: 'scheduled', start: at(day, '16:00'), end: at(day, '17:00') })

  // A fixed event goes where it is asked and names the required attendees it clashes with
  const fixed = await service.createAndPlace({
    title: 'Fixed over Ann’s busy time',
    durationMinutes: 30,
    start: at(day, '09:30'),
    attendees: [
      { email: ann },
      { email: 'carol@example.com', required: true },
      { email: bob, required: false },
    ],
  })
  t.match(fixed, {
    status: 'scheduled',
    placement: 'fixed',
    start: at(day, '09:30'),
    end: at(day, '10:00'),
    attendeeConflicts: [ann],
  })
  t.same(fixed.attendeeConflicts, [ann], 'carol is free, bob is optional')

  // Availability: occupied 09:30–10:00, 11:00–12:00 and 16:00–17:00; Ann is also busy 09:00–11:00
  const query = (attendees?: string) =>
    `/v1/availability?${new URLSearchParams({
      from: at(day, '08:00'),
      to: at(day, '18:00'),
      durationMinutes: '60',
      ...(attendees ? { attendees } : {}),
    })}`
  const quarterHours = (from: string, to: string) => {
    const starts: string[] = []
    for (let instant = Date.parse(from); instant <= Date.parse(to); instant += 15 * 60_000) {
      starts.push(new Date(instant).toISOString())
    }
    return starts
  }
  const afternoon = quarterHours(at(day, '12:00'), at(day, '15:00'))

  const everyone = await service.call('GET', query())
  t.equal(everyone.status, 200)
  t.same(
    everyone.body.slots.map((slot: { start: string }) => slot.start),
    [at(day, '10:00'), ...afternoon],
  )
  t.same(everyone.body.slots[0], { start: at(day, '10:00'), end: at(day, '11:00') })

  const forAnn = await service.call('GET', query(`${ann},carol@example.com`))
  t.equal(forAnn.status, 200)
  t.same(
    forAnn.body.slots.map((slot: { start: string }) => slot.start),
    afternoon,
    'Ann’s busy time is skipped',
  )

  const invalid = await service.call('GET', query('not-an-email'))
  t.equal(invalid.status, 400)
  t.equal(invalid.headers.get('content-type'), 'application/problem+json; charset=utf-8')

  const document = (await service.call('GET', '/openapi.json', { token: null })).body
  t.ok(document.paths['/v1/attendees/{email}/busy'].put)
  t.ok(document.paths['/v1/availability'].get)
})
