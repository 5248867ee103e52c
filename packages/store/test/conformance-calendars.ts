import { aCalendar, anIdempotencyWrite, HOUR, MINUTE, T0 } from '@scheduler/test-helpers/builders'
import { CAL, OTHER, type Scenario } from './conformance-support.js'

/** The calendar-settings aggregate's behaviour, run by `conformanceSuite` for every adapter. */
export function calendarScenarios(scenario: Scenario): void {
  scenario('calendar settings: ensure keeps the stored ones, put replaces them', async (t, store) => {
    t.equal(await store.getCalendar(CAL), null)
    const initial = aCalendar()
    t.strictSame(await store.ensureCalendar(initial), initial)
    t.strictSame(await store.ensureCalendar(aCalendar({ bufferMinutes: 30 })), initial, 'not overwritten')

    const changed = aCalendar({
      timezone: 'Europe/Berlin',
      bufferMinutes: 10,
      blackouts: [{ start: T0, end: T0 + HOUR, reason: 'Offsite' }],
    })
    t.strictSame(await store.putCalendar(changed), { kind: 'done', value: changed })
    t.strictSame(await store.getCalendar(CAL), changed)
    t.equal(await store.getCalendar(OTHER), null, 'another calendar is untouched')

    const key = anIdempotencyWrite({ createdAt: T0, response: { status: 200, body: { slotMinutes: 30 } } })
    const put = aCalendar({ slotMinutes: 30 })
    t.strictSame(await store.putCalendar(put, key), { kind: 'done', value: put })
    const replay = await store.putCalendar(aCalendar({ slotMinutes: 5 }), {
      ...key,
      requestHash: 'sha256:another-request',
      createdAt: T0 + MINUTE,
    })
    t.strictSame(replay, { kind: 'replay', record: { ...key, calendarId: CAL } })
    t.equal((await store.getCalendar(CAL))?.slotMinutes, 30, 'a replay writes nothing')
  })
}
