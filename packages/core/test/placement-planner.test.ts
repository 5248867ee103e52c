import fc from 'fast-check'
import t from 'tap'
import {
  type Attendee,
  type CalendarSettings,
  type EventRecord,
  type Interval,
  type PlanInput,
  type PlanOutput,
  planningRange,
  planPlacement,
  WEEKDAYS,
} from '../src/index.js'
import { aCalendar, anEvent, aScheduled, at, DAY, iso, isoSpan, MINUTE, span, week } from './builders.js'

const NOW = at('2026-11-30T12:00:00Z') // Monday 07:00 EST
const DEC_1 = { kind: 'date', date: '2026-12-01' } as const // Tuesday, working 14:00Z-22:00Z

function plan(input: Partial<PlanInput> & Pick<PlanInput, 'event'>): PlanOutput {
  return planPlacement({ settings: aCalendar(), now: NOW, occupying: [], busy: new Map(), ...input })
}

function slotOf(output: PlanOutput): [string, string] | string {
  const { result } = output
  return result.status === 'scheduled'
    ? isoSpan(result.slot)
    : `${result.failure.code}: ${result.failure.message}`
}

function fixed(start: string, minutes: number, overrides: Partial<EventRecord> = {}): EventRecord {
  return anEvent({ placement: 'fixed', requestedStart: at(start), durationMinutes: minutes, ...overrides })
}

function autoAt(id: string, start: string, end: string, overrides: Partial<EventRecord> = {}): EventRecord {
  return aScheduled(id, at(start), at(end), { window: DEC_1, ...overrides })
}

function fixedAt(id: string, start: string, end: string): EventRecord {
  return aScheduled(id, at(start), at(end), { placement: 'fixed', requestedStart: at(start) })
}

const ann: Attendee = { email: 'Ann@Example.com', required: true }
const bob: Attendee = { email: 'bob@example.com', required: false }

t.test('auto placement avoids occupying events and required attendees', async (t) => {
  const occupying = [autoAt('evt_a', '2026-12-01T14:00:00Z', '2026-12-01T15:00:00Z')]
  t.same(slotOf(plan({ event: anEvent({ window: DEC_1 }), occupying })), [
    '2026-12-01T15:00:00.000Z',
    '2026-12-01T15:30:00.000Z',
  ])
  const busy = new Map([
    ['ann@example.com', [span('2026-12-01T15:00:00Z', '2026-12-01T16:00:00Z')]],
    ['bob@example.com', [span('2026-12-01T16:00:00Z', '2026-12-01T22:00:00Z')]],
  ])
  const output = plan({ event: anEvent({ window: DEC_1, attendees: [ann, bob] }), occupying, busy })
  t.same(
    slotOf(output),
    ['2026-12-01T16:00:00.000Z', '2026-12-01T16:30:00.000Z'],
    'optional bob is not considered',
  )
  t.same(output.displaced, [])
  t.same(output.result.status === 'scheduled' && output.result.outsideWorkingHours, false)

  // ann attends an occupying event on another calendar day range too: her events are avoided without buffer
  const hers = aScheduled('evt_h', at('2026-12-01T16:00:00Z'), at('2026-12-01T16:30:00Z'), {
    attendees: [{ email: 'ANN@example.com', required: false }],
  })
  t.same(
    slotOf(
      plan({ event: anEvent({ window: DEC_1, attendees: [ann] }), occupying: [...occupying, hers], busy }),
    ),
    ['2026-12-01T16:30:00.000Z', '2026-12-01T17:00:00.000Z'],
  )

  const failed = plan({
    event: anEvent({ window: DEC_1, attendees: [ann] }),
    busy: new Map([['ann@example.com', [span('2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z')]]]),
  })
  t.same(
    slotOf(failed),
    'NO_SLOT_AVAILABLE: No free 30-minute slot on 2026-12-01 within working hours with the required attendees free',
  )
  t.same(failed.result.status === 'failed' && failed.result.failure.alternatives.map((a) => iso(a.start)), [
    '2026-11-30T21:00:00.000Z',
    '2026-11-30T21:15:00.000Z',
    '2026-11-30T21:30:00.000Z',
  ])
})

t.test('keepStart keeps an auto event where it is when it still fits', async (t) => {
  const longer = anEvent({ id: 'evt_k', window: DEC_1, durationMinutes: 60, status: 'scheduled' })
  const keepStart = at('2026-12-01T14:00:00Z')
  t.same(slotOf(plan({ event: longer, keepStart })), ['2026-12-01T14:00:00.000Z', '2026-12-01T15:00:00.000Z'])
  t.same(
    slotOf(plan({ event: anEvent({ window: DEC_1 }), keepStart: at('2026-12-01T16:00:00Z') })),
    ['2026-12-01T16:00:00.000Z', '2026-12-01T16:30:00.000Z'],
    'kept even though an earlier slot exists',
  )
  const next = autoAt('evt_n', '2026-12-01T14:30:00Z', '2026-12-01T15:00:00Z')
  t.same(
    slotOf(plan({ event: longer, keepStart, occupying: [next] })),
    ['2026-12-01T15:00:00.000Z', '2026-12-01T16:00:00.000Z'],
    'placed again when the longer event no longer fits',
  )
  t.same(
    slotOf(plan({ event: longer, keepStart: at('2026-12-01T21:30:00Z') })),
    ['2026-12-01T14:00:00.000Z', '2026-12-01T15:00:00.000Z'],
    'placed again when it would run past working hours',
  )
})

t.test('fixed events: exact time, flags and conflicts', async (t) => {
  const evening = plan({ event: fixed('2026-12-01T23:00:00Z', 60) })
  t.same(evening.result, {
    status: 'scheduled',
    slot: span('2026-12-01T23:00:00Z', '2026-12-02T00:00:00Z'),
    outsideWorkingHours: true,
    attendeeConflicts: [],
  })
  t.same(
    plan({ event: fixed('2026-12-01T14:07:00Z', 30) }).result,
    {
      status: 'scheduled',
      slot: span('2026-12-01T14:07:00Z', '2026-12-01T14:37:00Z'),
      outsideWorkingHours: false,
      attendeeConflicts: [],
    },
    'no boundary, notice or buffer rules',
  )
  const overnight = aCalendar({
    workingHours: week({ tue: [{ start: '22:00', end: '02:00' }] }),
  })
  t.equal(
    ((r) => r.status === 'scheduled' && r.outsideWorkingHours)(
      plan({ settings: overnight, event: fixed('2026-12-02T04:00:00Z', 120) }).result,
    ),
    false,
    'Tue 23:00 to Wed 01:00 EST lies in working hours that run past midnight',
  )
  t.equal(
    ((r) => r.status === 'scheduled' && r.outsideWorkingHours)(
      plan({ settings: overnight, event: fixed('2026-12-02T06:00:00Z', 120) }).result,
    ),
    true,
    'Wed 01:00 to 03:00 EST does not',
  )
  const inBlackout = plan({
    settings: aCalendar({
      blackouts: [{ start: at('2026-12-01T14:30:00Z'), end: at('2026-12-01T15:00:00Z'), reason: null }],
    }),
    event: fixed('2026-12-01T14:00:00Z', 60),
  })
  t.equal(inBlackout.result.status === 'scheduled' && inBlackout.result.outsideWorkingHours, true)
  t.same(
    slotOf(plan({ event: fixed('2028-12-01T15:00:00Z', 30) })),
    ['2028-12-01T15:00:00.000Z', '2028-12-01T15:30:00.000Z'],
    'beyond the horizon',
  )

  const other = fixedAt('evt_f', '2026-12-01T15:00:00Z', '2026-12-01T16:00:00Z')
  const clash = plan({ event: fixed('2026-12-01T15:30:00Z', 60), occupying: [other] })
  t.same(
    slotOf(clash),
    'CONFLICT: 2026-12-01T15:30:00.000Z–2026-12-01T16:30:00.000Z overlaps the fixed event evt_f (2026-12-01T15:00:00.000Z–2026-12-01T16:00:00.000Z)',
  )
  t.same(
    clash.result.status === 'failed' && clash.result.failure.alternatives.map(isoSpan),
    [
      ['2026-12-01T16:00:00.000Z', '2026-12-01T17:00:00.000Z'],
      ['2026-12-01T16:15:00.000Z', '2026-12-01T17:15:00.000Z'],
      ['2026-12-01T16:30:00.000Z', '2026-12-01T17:30:00.000Z'],
    ],
    'the auto slots whose starts are nearest the requested one (14:00 is 90 minutes away)',
  )
  t.same(
    slotOf(plan({ event: fixed('2026-12-01T16:00:00Z', 30), occupying: [other] })),
    ['2026-12-01T16:00:00.000Z', '2026-12-01T16:30:00.000Z'],
    'back to back with a fixed event is fine, whatever the buffer',
  )

  const withAttendees = plan({
    event: fixed('2026-12-01T15:00:00Z', 60, {
      attendees: [ann, bob, { email: 'cy@example.com', required: true }],
    }),
    busy: new Map([
      ['ann@example.com', [span('2026-12-01T15:30:00Z', '2026-12-01T17:00:00Z')]],
      ['bob@example.com', [span('2026-12-01T15:00:00Z', '2026-12-01T16:00:00Z')]],
      ['cy@example.com', [span('2026-12-01T16:00:00Z', '2026-12-01T17:00:00Z')]],
    ]),
  })
  t.same(
    withAttendees.result.status === 'scheduled' && withAttendees.result.attendeeConflicts,
    ['Ann@Example.com'],
    'required attendees it clashes with, as written',
  )

  t.same(
    slotOf(
      plan({
        event: fixed('2026-12-01T15:00:00Z', 60, { requestedStart: null }),
        keepStart: at('2026-12-01T18:00:00Z'),
      }),
    ),
    ['2026-12-01T18:00:00.000Z', '2026-12-01T19:00:00.000Z'],
  )
  t.throws(
    () => plan({ event: fixed('2026-12-01T15:00:00Z', 60, { requestedStart: null }) }),
    /no requested start/,
  )
})

t.test('a fixed event displaces the auto events it overlaps or crowds', async (t) => {
  const settings = aCalendar({ bufferMinutes: 10 })
  const a = autoAt('evt_a', '2026-12-01T14:00:00Z', '2026-12-01T14:30:00Z')
  const b = autoAt('evt_b', '2026-12-01T14:30:00Z', '2026-12-01T15:00:00Z', { durationMinutes: 30 })
  const c = fixedAt('evt_c', '2026-12-01T16:00:00Z', '2026-12-01T17:00:00Z')
  const d = autoAt('evt_d', '2026-12-01T20:00:00Z', '2026-12-01T20:30:00Z')
  const output = plan({ settings, event: fixed('2026-12-01T14:15:00Z', 30), occupying: [d, c, b, a] })
  t.same(slotOf(output), ['2026-12-01T14:15:00.000Z', '2026-12-01T14:45:00.000Z'])
  t.same(output.displaced, [
    {
      eventId: 'evt_a',
      from: span('2026-12-01T14:00:00Z', '2026-12-01T14:30:00Z'),
      to: span('2026-12-01T15:00:00Z', '2026-12-01T15:30:00Z'),
      failure: null,
    },
    {
      eventId: 'evt_b',
      from: span('2026-12-01T14:30:00Z', '2026-12-01T15:00:00Z'),
      // after evt_a (15:30 + 10) the next 30 minutes would crowd evt_c: after evt_c and its buffer
      to: span('2026-12-01T17:15:00Z', '2026-12-01T17:45:00Z'),
      failure: null,
    },
  ])

  const crowded = autoAt('evt_e', '2026-12-01T14:50:00Z', '2026-12-01T15:20:00Z')
  const near = plan({ settings, event: fixed('2026-12-01T14:00:00Z', 45), occupying: [crowded] })
  t.same(
    near.displaced.map((move) => [move.eventId, move.to && isoSpan(move.to)]),
    [['evt_e', ['2026-12-01T15:00:00.000Z', '2026-12-01T15:30:00.000Z']]],
    'within the buffer without overlapping',
  )
  const clear = plan({ settings, event: fixed('2026-12-01T14:00:00Z', 40), occupying: [crowded] })
  t.same(clear.displaced, [], 'outside the buffer it stays')

  const stuck = autoAt('evt_s', '2026-12-01T14:00:00Z', '2026-12-01T14:30:00Z')
  const stuckOutput = plan({ event: fixed('2026-12-01T14:00:00Z', 480), occupying: [stuck] })
  t.equal(stuckOutput.displaced.length, 1)
  const [move] = stuckOutput.displaced
  t.equal(move?.to, null)
  t.equal(move?.failure?.code, 'NO_SLOT_AVAILABLE')
  t.match(move?.failure?.message, /No free 30-minute slot on 2026-12-01/)
  t.equal(move?.failure?.alternatives.length, 3)
})

t.test('planningRange covers the horizon and a fixed start beyond it', async (t) => {
  const settings = aCalendar({ bufferMinutes: 10, horizonDays: 30 })
  t.same(planningRange(settings, NOW, { durationMinutes: 30, requestedStart: null }), {
    start: NOW - 10 * MINUTE,
    end: NOW + 30 * DAY + 10 * MINUTE,
  })
  const far = NOW + 100 * DAY
  t.same(planningRange(settings, NOW, { durationMinutes: 30, requestedStart: far }), {
    start: NOW - 10 * MINUTE,
    end: far + 40 * MINUTE,
  })
})

// Properties: a calendar built by a random sequence of placements.

const PEOPLE = ['a@x.test', 'b@x.test', 'c@x.test']
const BASE = at('2026-11-02T00:00:00Z') // a Monday just after the New York fall back

interface Op {
  kind: 'auto' | 'fixed'
  durationMinutes: number
  offsetQuarterHours: number
  window: 'none' | 'date' | 'range'
  attendees: Attendee[]
}

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('auto', 'auto', 'fixed'),
  durationMinutes: fc.constantFrom(15, 30, 45, 60, 90, 180),
  // mostly the working hours of the first two days, where the auto events gather
  offsetQuarterHours: fc.oneof(
    fc
      .record({ day: fc.integer({ min: 0, max: 1 }), quarter: fc.integer({ min: 28, max: 80 }) })
      .map(({ day, quarter }) => day * 96 + quarter),
    fc.integer({ min: 0, max: 3 * 24 * 4 }),
  ),
  window: fc.constantFrom('none', 'date', 'range'),
  attendees: fc
    .subarray(PEOPLE)
    .chain((emails) =>
      fc.tuple(...emails.map((email) => fc.boolean().map((required) => ({ email, required })))),
    ),
})

const scenarioArb = fc.record({
  timezone: fc.constantFrom('UTC', 'America/New_York', 'Asia/Kolkata'),
  bufferMinutes: fc.constantFrom(0, 10, 15),
  slotMinutes: fc.constantFrom(15, 30),
  ops: fc.array(opArb, { minLength: 2, maxLength: 14 }),
  busy: fc.array(
    fc.record({
      who: fc.constantFrom(...PEOPLE),
      at: fc.integer({ min: 0, max: 3 * 24 }),
      hours: fc.integer({ min: 1, max: 4 }),
    }),
    { maxLength: 4 },
  ),
})

function eventFor(op: Op, index: number): EventRecord {
  const at = BASE + op.offsetQuarterHours * 15 * MINUTE
  const base = {
    id: `evt_${String(index).padStart(2, '0')}`,
    durationMinutes: op.durationMinutes,
    attendees: op.attendees,
  }
  if (op.kind === 'fixed') return anEvent({ ...base, placement: 'fixed', requestedStart: at })
  const window =
    op.window === 'none'
      ? null
      : op.window === 'date'
        ? { kind: 'date' as const, date: new Date(at).toISOString().slice(0, 10) }
        : { kind: 'range' as const, notBefore: at, notAfter: at + 12 * 60 * MINUTE }
  return anEvent({ ...base, window })
}

function overlapping(a: Interval, b: Interval, gap = 0): boolean {
  return a.start < b.end + gap && b.start < a.end + gap
}

t.test('applying plans keeps the calendar consistent', async (t) => {
  fc.assert(
    fc.property(scenarioArb, (scenario) => {
      const settings: CalendarSettings = {
        ...aCalendar({
          timezone: scenario.timezone,
          bufferMinutes: scenario.bufferMinutes,
          slotMinutes: scenario.slotMinutes,
        }),
        workingHours: Object.fromEntries(
          WEEKDAYS.map((d) => [d, [{ start: '08:00', end: '18:00' }]]),
        ) as CalendarSettings['workingHours'],
        horizonDays: 4,
      }
      const busy = new Map<string, Interval[]>()
      for (const b of scenario.busy) {
        const list = busy.get(b.who) ?? []
        list.push({ start: BASE + b.at * 60 * MINUTE, end: BASE + (b.at + b.hours) * 60 * MINUTE })
        busy.set(b.who, list)
      }
      const now = BASE - 60 * MINUTE
      let calendar: EventRecord[] = []
      const fixedTimes = new Map<string, string>()

      scenario.ops.forEach((op, index) => {
        const event = eventFor(op, index)
        const input: PlanInput = { settings, now, event, occupying: calendar, busy }
        const output = planPlacement(input)

        // deterministic whatever the order of the occupying events
        const again = planPlacement({ ...input, occupying: [...calendar].reverse() })
        if (JSON.stringify(again) !== JSON.stringify(output)) throw new Error('plan depends on input order')

        // displaced in order of original start, then id
        const order = output.displaced.map((m) => `${String(m.from.start).padStart(16, '0')} ${m.eventId}`)
        if (order.join('|') !== [...order].sort().join('|')) throw new Error('displacement order')

        if (output.result.status !== 'scheduled') {
          if (output.displaced.length > 0) throw new Error('a failed placement moved events')
          return
        }
        const { slot } = output.result
        const moves = new Map(output.displaced.map((m) => [m.eventId, m.to]))
        calendar = calendar.flatMap((other) => {
          if (!moves.has(other.id)) return [other]
          const to = moves.get(other.id)
          return to ? [{ ...other, start: to.start, end: to.end }] : []
        })
        calendar.push({ ...event, status: 'scheduled', start: slot.start, end: slot.end })
        if (event.placement === 'fixed') fixedTimes.set(event.id, JSON.stringify(slot))

        for (const [i, x] of calendar.entries()) {
          const xi = { start: x.start as number, end: x.end as number }
          if (x.placement === 'fixed' && fixedTimes.get(x.id) !== JSON.stringify(xi))
            throw new Error('a fixed event moved')
          for (const y of calendar.slice(i + 1)) {
            const yi = { start: y.start as number, end: y.end as number }
            if (overlapping(xi, yi)) throw new Error(`${x.id} overlaps ${y.id}`)
            const gap = x.placement === 'auto' || y.placement === 'auto' ? settings.bufferMinutes * MINUTE : 0
            if (overlapping(xi, yi, gap)) throw new Error(`${x.id} and ${y.id} break the buffer`)
          }
          if (x.placement === 'auto') {
            for (const attendee of x.attendees.filter((a) => a.required)) {
              for (const b of busy.get(attendee.email) ?? []) {
                if (overlapping(xi, b)) throw new Error(`${x.id} overlaps ${attendee.email}'s busy time`)
              }
            }
          }
        }
      })
      return true
    }),
    { numRuns: 120 },
  )
  t.pass('no overlaps, buffers kept, fixed events stay, plans deterministic')
})
