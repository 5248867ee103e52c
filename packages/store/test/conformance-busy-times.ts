import { anIdempotencyWrite, DAY, HOUR, MINUTE, T0 } from '@scheduler/test-helpers/builders'
import { byStart, CAL, OTHER, type Scenario } from './conformance-support.js'

/** The busy-times aggregate's behaviour, run by `conformanceSuite` for every adapter. */
export function busyTimeScenarios(scenario: Scenario): void {
  scenario('busy times: replaced per attendee, matched case-insensitively', async (t, store) => {
    const morning = { start: T0, end: T0 + HOUR }
    const noon = { start: T0 + 3 * HOUR, end: T0 + 4 * HOUR }
    t.strictSame(await store.putBusy(CAL, 'Ann@Example.com', [noon, morning]), {
      kind: 'done',
      value: [noon, morning],
    })
    t.strictSame(byStart(await store.getBusy(CAL, 'ann@example.com')), [morning, noon])
    t.strictSame(byStart(await store.getBusy(CAL, 'ANN@EXAMPLE.COM')), [morning, noon])
    t.strictSame(await store.getBusy(OTHER, 'ann@example.com'), [])

    const bob = { start: T0 + 30 * MINUTE, end: T0 + 90 * MINUTE }
    await store.putBusy(CAL, 'bob@example.com', [bob])
    await store.putBusy(OTHER, 'ann@example.com', [{ start: T0, end: T0 + DAY }])
    t.strictSame(
      byStart(
        await store.busyOverlapping(CAL, ['ANN@example.com', 'bob@example.com'], {
          start: T0,
          end: T0 + 3 * HOUR,
        }),
      ),
      [morning, bob],
      'touching intervals do not overlap',
    )
    t.strictSame(await store.busyOverlapping(CAL, ['carol@example.com'], { start: T0, end: T0 + DAY }), [])
    t.strictSame(await store.busyOverlapping(CAL, [], { start: T0, end: T0 + DAY }), [])

    await store.putBusy(CAL, 'ann@example.com', [noon])
    t.strictSame(await store.getBusy(CAL, 'Ann@Example.com'), [noon], 'replaced')
    await store.putBusy(CAL, 'ann@example.com', [])
    t.strictSame(await store.getBusy(CAL, 'ann@example.com'), [], 'cleared')
    t.strictSame(await store.getBusy(CAL, 'bob@example.com'), [bob], 'other attendees untouched')
  })

  scenario(
    'putBusy with an idempotency key records it and replays it, writing nothing more',
    async (t, store) => {
      const morning = { start: T0, end: T0 + HOUR }
      const key = anIdempotencyWrite({
        createdAt: T0,
        response: { status: 200, body: { email: 'ann@example.com', busy: [] } },
      })
      t.strictSame(await store.putBusy(CAL, 'Ann@Example.com', [morning], key), {
        kind: 'done',
        value: [morning],
      })
      t.strictSame(await store.findIdempotency(CAL, key.key, T0 + MINUTE), { ...key, calendarId: CAL })

      const replay = await store.putBusy(CAL, 'ann@example.com', [], {
        ...key,
        requestHash: 'sha256:another-request',
        createdAt: T0 + MINUTE,
      })
      t.strictSame(replay, { kind: 'replay', record: { ...key, calendarId: CAL } })
      t.strictSame(await store.getBusy(CAL, 'ann@example.com'), [morning], 'a replay writes nothing')

      const later = { ...key, requestHash: 'sha256:later-request', createdAt: T0 + DAY }
      t.strictSame(await store.putBusy(CAL, 'ann@example.com', [], later), { kind: 'done', value: [] })
      t.strictSame(await store.getBusy(CAL, 'ann@example.com'), [], 'an expired key is recorded anew')
      t.strictSame(await store.findIdempotency(CAL, key.key, T0 + DAY), { ...later, calendarId: CAL })
    },
  )
}
