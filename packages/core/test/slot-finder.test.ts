import t from 'tap'
import {
  type CalendarSettings,
  createIntervalIndex,
  feasibleSlots,
  findSlot,
  type Interval,
  isFeasibleStart,
  nearestSlots,
  type PlacementWindow,
  type SlotQuery,
  type SlotResult,
  windowInterval,
} from '../src/index.js'
import { aCalendar, at, iso, isoSpan, span, week } from './builders.js'

const MONDAY_MORNING = at('2026-11-30T12:00:00Z') // 07:00 EST
const DEC_1 = { kind: 'date', date: '2026-12-01' } as const // a Tuesday: 14:00Z-22:00Z working hours

interface QueryInput {
  settings?: CalendarSettings
  now?: number
  durationMinutes?: number
  window?: PlacementWindow
  occupied?: Interval[]
  busy?: Interval[]
}

function query(input: QueryInput = {}): SlotQuery {
  return {
    settings: input.settings ?? aCalendar(),
    now: input.now ?? MONDAY_MORNING,
    durationMinutes: input.durationMinutes ?? 30,
    window: input.window === undefined ? DEC_1 : input.window,
    occupied: createIntervalIndex(input.occupied ?? []),
    busy: createIntervalIndex(input.busy ?? []),
  }
}

function slotOf(result: SlotResult): [string, string] | string {
  return result.ok ? isoSpan(result.slot) : `${result.failure.code}: ${result.failure.message}`
}

function starts(slots: Interval[]): string[] {
  return slots.map((slot) => iso(slot.start))
}

t.test('the earliest slot of a date window', async (t) => {
  t.same(slotOf(findSlot(query())), ['2026-12-01T14:00:00.000Z', '2026-12-01T14:30:00.000Z'])
  t.same(
    slotOf(findSlot(query({ settings: aCalendar({ timezone: 'Asia/Kolkata' }) }))),
    ['2026-12-01T03:30:00.000Z', '2026-12-01T04:00:00.000Z'],
    '09:00 IST',
  )
  t.same(
    slotOf(findSlot(query({ settings: aCalendar({ slotMinutes: 25 }) }))),
    ['2026-12-01T14:00:00.000Z', '2026-12-01T14:30:00.000Z'],
    '25-minute slots: counted from 09:00, where working hours begin',
  )
})

t.test('slot boundaries are counted from where working hours begin', async (t) => {
  const nineThirty = aCalendar({
    slotMinutes: 60,
    workingHours: week({ tue: [{ start: '09:30', end: '17:00' }] }),
  })
  t.same(slotOf(findSlot(query({ settings: nineThirty, durationMinutes: 60 }))), [
    '2026-12-01T14:30:00.000Z', // 09:30 EST
    '2026-12-01T15:30:00.000Z',
  ])
  t.same(starts(feasibleSlots(query({ settings: nineThirty, durationMinutes: 60 }), 3)), [
    '2026-12-01T14:30:00.000Z',
    '2026-12-01T15:30:00.000Z',
    '2026-12-01T16:30:00.000Z',
  ])
  t.same(
    starts(feasibleSlots(query({ settings: nineThirty, durationMinutes: 60 }), 10)).slice(-1),
    ['2026-12-01T20:30:00.000Z'],
    '15:30 is the last: 16:30-17:30 runs past the end',
  )
  t.ok(isFeasibleStart(query({ settings: nineThirty }), at('2026-12-01T14:30:00Z')))
  t.notOk(isFeasibleStart(query({ settings: nineThirty }), at('2026-12-01T15:00:00Z')), '10:00')

  const twoRanges = aCalendar({
    slotMinutes: 60,
    workingHours: week({
      tue: [
        { start: '09:00', end: '12:00' },
        { start: '13:15', end: '17:00' },
      ],
    }),
  })
  t.same(
    starts(
      feasibleSlots(
        query({ settings: twoRanges, occupied: [span('2026-12-01T14:00:00Z', '2026-12-01T17:00:00Z')] }),
        2,
      ),
    ),
    ['2026-12-01T18:15:00.000Z', '2026-12-01T19:15:00.000Z'],
    'each interval counts from its own start: 13:15, 14:15',
  )
})

t.test('auto events may span midnight when working hours continue', async (t) => {
  const split = aCalendar({
    workingHours: week({
      mon: [{ start: '22:00', end: '24:00' }],
      tue: [
        { start: '00:00', end: '02:00' },
        { start: '22:00', end: '24:00' },
      ],
      wed: [
        { start: '00:00', end: '02:00' },
        { start: '22:00', end: '24:00' },
      ],
      thu: [
        { start: '00:00', end: '02:00' },
        { start: '22:00', end: '24:00' },
      ],
      fri: [
        { start: '00:00', end: '02:00' },
        { start: '22:00', end: '24:00' },
      ],
      sat: [{ start: '00:00', end: '02:00' }],
    }),
  })
  const overnight = aCalendar({
    workingHours: week(
      Object.fromEntries(
        (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => [
          day,
          [{ start: '22:00', end: '02:00' }],
        ]),
      ),
    ),
  })
  for (const [name, settings] of [
    ['mon–fri 22:00–24:00 with tue–sat 00:00–02:00', split],
    ['mon–fri 22:00–02:00', overnight],
  ] as const) {
    t.same(
      slotOf(
        findSlot(
          query({
            settings,
            durationMinutes: 180,
            window: { kind: 'range', notBefore: at('2026-12-01T12:00:00Z'), notAfter: null },
          }),
        ),
      ),
      ['2026-12-02T03:00:00.000Z', '2026-12-02T06:00:00.000Z'], // Tue 22:00 EST to Wed 01:00 EST
      `${name}: a 180-minute event from 22:00`,
    )
    t.same(
      slotOf(findSlot(query({ settings, durationMinutes: 240, window: null }))),
      ['2026-12-01T03:00:00.000Z', '2026-12-01T07:00:00.000Z'],
      `${name}: all four hours, Monday night`,
    )
    t.same(
      slotOf(findSlot(query({ settings, durationMinutes: 241, window: null }))),
      `NO_SLOT_AVAILABLE: No free 241-minute slot within the next 60 days within working hours`,
      `${name}: no more`,
    )
    t.ok(isFeasibleStart(query({ settings, window: null }), at('2026-12-01T05:00:00Z')), `${name}: 00:00`)
  }

  // Saturday night into Sunday 2026-03-08 in New York: 22:00 EST to 06:00 EDT is 7 hours
  const dstNight = aCalendar({
    slotMinutes: 60,
    workingHours: week({ sat: [{ start: '22:00', end: '06:00' }] }),
  })
  const springQuery = (durationMinutes: number) =>
    query({ settings: dstNight, now: at('2026-03-07T12:00:00Z'), durationMinutes, window: null })
  t.same(slotOf(findSlot(springQuery(420))), ['2026-03-08T03:00:00.000Z', '2026-03-08T10:00:00.000Z'])
  t.same(starts(feasibleSlots(springQuery(60), 7)), [
    '2026-03-08T03:00:00.000Z', // 22:00 EST
    '2026-03-08T04:00:00.000Z',
    '2026-03-08T05:00:00.000Z', // 00:00 EST
    '2026-03-08T06:00:00.000Z', // 01:00 EST, then 03:00 EDT
    '2026-03-08T07:00:00.000Z',
    '2026-03-08T08:00:00.000Z',
    '2026-03-08T09:00:00.000Z', // 05:00 EDT
  ])
})

t.test('occupied intervals keep the buffer, busy intervals do not', async (t) => {
  const meeting = span('2026-12-01T14:00:00Z', '2026-12-01T15:00:00Z')
  const buffered = aCalendar({ bufferMinutes: 10 })
  t.same(slotOf(findSlot(query({ settings: buffered, occupied: [meeting] }))), [
    '2026-12-01T15:15:00.000Z',
    '2026-12-01T15:45:00.000Z',
  ])
  t.same(slotOf(findSlot(query({ settings: buffered, busy: [meeting] }))), [
    '2026-12-01T15:00:00.000Z',
    '2026-12-01T15:30:00.000Z',
  ])
  t.same(
    slotOf(
      findSlot(
        query({
          settings: aCalendar({ bufferMinutes: 15 }),
          occupied: [span('2026-12-01T14:30:00Z', '2026-12-01T15:00:00Z')],
        }),
      ),
    ),
    ['2026-12-01T15:15:00.000Z', '2026-12-01T15:45:00.000Z'],
    'the buffer applies before an occupied interval too',
  )
  t.same(
    slotOf(findSlot(query({ occupied: [meeting, span('2026-12-01T15:30:00Z', '2026-12-01T16:00:00Z')] }))),
    ['2026-12-01T15:00:00.000Z', '2026-12-01T15:30:00.000Z'],
    'back to back without a buffer',
  )
  t.same(
    slotOf(
      findSlot(
        query({
          durationMinutes: 45,
          occupied: [meeting, span('2026-12-01T15:30:00Z', '2026-12-01T16:00:00Z')],
        }),
      ),
    ),
    ['2026-12-01T16:00:00.000Z', '2026-12-01T16:45:00.000Z'],
    'a gap too short is skipped',
  )
})

t.test('blackouts, minimum notice and the horizon', async (t) => {
  const blackout = aCalendar({
    blackouts: [{ start: at('2026-12-01T13:00:00Z'), end: at('2026-12-01T16:05:00Z'), reason: 'offsite' }],
  })
  t.same(slotOf(findSlot(query({ settings: blackout }))), [
    '2026-12-01T16:15:00.000Z',
    '2026-12-01T16:45:00.000Z',
  ])

  const notice = aCalendar({ minNoticeMinutes: 60 })
  t.same(slotOf(findSlot(query({ settings: notice, now: at('2026-12-01T14:05:00Z') }))), [
    '2026-12-01T15:15:00.000Z',
    '2026-12-01T15:45:00.000Z',
  ])

  // now: Sunday 17:00 EST; a one-day horizon ends Monday 17:00 EST (22:00Z)
  const oneDay = aCalendar({ horizonDays: 1 })
  const sunday = at('2026-11-29T22:00:00Z')
  t.same(
    slotOf(
      findSlot(
        query({
          settings: oneDay,
          now: sunday,
          window: null,
          busy: [span('2026-11-30T14:00:00Z', '2026-11-30T21:30:00Z')],
        }),
      ),
    ),
    ['2026-11-30T21:30:00.000Z', '2026-11-30T22:00:00.000Z'],
    'a slot may end exactly at the horizon',
  )
  const late = findSlot(
    query({
      settings: oneDay,
      now: sunday,
      window: null,
      busy: [span('2026-11-30T14:00:00Z', '2026-11-30T21:31:00Z')],
    }),
  )
  t.same(late, {
    ok: false,
    failure: {
      code: 'NO_SLOT_AVAILABLE',
      message:
        'No free 30-minute slot within the next 1 days within working hours with the required attendees free',
      alternatives: [],
    },
  })
})

t.test('range windows', async (t) => {
  const window = (notBefore: string | null, notAfter: string | null): PlacementWindow => ({
    kind: 'range',
    notBefore: notBefore === null ? null : at(notBefore),
    notAfter: notAfter === null ? null : at(notAfter),
  })
  t.same(slotOf(findSlot(query({ window: window('2026-12-01T15:07:00Z', '2026-12-01T16:00:00Z') }))), [
    '2026-12-01T15:15:00.000Z',
    '2026-12-01T15:45:00.000Z',
  ])
  t.same(slotOf(findSlot(query({ window: window(null, '2026-12-01T16:00:00Z') }))), [
    '2026-11-30T14:00:00.000Z',
    '2026-11-30T14:30:00.000Z',
  ])
  t.same(slotOf(findSlot(query({ window: window('2026-12-03T21:00:00Z', null) }))), [
    '2026-12-03T21:00:00.000Z',
    '2026-12-03T21:30:00.000Z',
  ])
  const tight = findSlot(query({ window: window('2026-12-01T15:07:00Z', '2026-12-01T15:44:00Z') }))
  t.equal(tight.ok, false)
  if (!tight.ok) {
    t.equal(tight.failure.code, 'NO_SLOT_AVAILABLE')
    t.equal(
      tight.failure.message,
      'No free 30-minute slot between 2026-12-01T15:07:00.000Z and 2026-12-01T15:44:00.000Z within working hours',
    )
    // nearness = how far a slot sticks out: 15:00 by 7 min, 15:15 by 1 min, 15:30 by 16 min, 14:45 by 22 min
    t.same(starts(tight.failure.alternatives), [
      '2026-12-01T15:00:00.000Z',
      '2026-12-01T15:15:00.000Z',
      '2026-12-01T15:30:00.000Z',
    ])
  }
  const upTo = findSlot(query({ window: window(null, '2026-11-30T12:00:00Z') }))
  t.match(slotOf(upTo), /^NO_SLOT_AVAILABLE: No free 30-minute slot before 2026-11-30T12:00:00.000Z/)
})

t.test('alternatives are the nearest feasible slots on either side', async (t) => {
  const fullDec2 = span('2026-12-02T14:00:00Z', '2026-12-02T22:00:00Z')
  const before = findSlot(query({ window: { kind: 'date', date: '2026-12-02' }, occupied: [fullDec2] }))
  t.same(slotOf(before), 'NO_SLOT_AVAILABLE: No free 30-minute slot on 2026-12-02 within working hours')
  if (!before.ok) {
    t.same(starts(before.failure.alternatives), [
      '2026-12-01T21:00:00.000Z',
      '2026-12-01T21:15:00.000Z',
      '2026-12-01T21:30:00.000Z',
    ])
  }
  const after = findSlot(
    query({
      window: { kind: 'date', date: '2026-12-02' },
      occupied: [fullDec2, span('2026-12-01T16:00:00Z', '2026-12-01T22:00:00Z')],
    }),
  )
  if (!after.ok) {
    t.same(starts(after.failure.alternatives), [
      '2026-12-03T14:00:00.000Z',
      '2026-12-03T14:15:00.000Z',
      '2026-12-03T14:30:00.000Z',
    ])
  } else t.fail('expected a failure')

  // A window shorter than the event: nearest means least sticking out, on both sides of its middle.
  const utc = aCalendar({ timezone: 'UTC', workingHours: week({ tue: [{ start: '09:00', end: '17:00' }] }) })
  const noon = at('2026-12-01T12:00:00Z')
  const short = findSlot(
    query({
      settings: utc,
      durationMinutes: 120,
      window: { kind: 'range', notBefore: noon, notAfter: noon },
    }),
  )
  t.same(short.ok ? [] : starts(short.failure.alternatives), [
    '2026-12-01T10:45:00.000Z',
    '2026-12-01T11:00:00.000Z',
    '2026-12-01T11:15:00.000Z',
  ])

  const past = findSlot(query({ window: { kind: 'date', date: '2026-11-27' } }))
  t.same(
    past.ok ? [] : starts(past.failure.alternatives),
    ['2026-11-30T14:00:00.000Z', '2026-11-30T14:15:00.000Z', '2026-11-30T14:30:00.000Z'],
    'a window in the past has the earliest slots as alternatives',
  )

  const nothing = findSlot(query({ busy: [span('2026-11-30T00:00:00Z', '2027-03-01T00:00:00Z')] }))
  t.same(nothing.ok ? null : nothing.failure.alternatives, [], 'no alternatives within the horizon')

  t.same(
    starts(nearestSlots(query(), span('2026-12-01T16:00:00Z', '2026-12-01T16:30:00Z'))),
    ['2026-12-01T15:45:00.000Z', '2026-12-01T16:00:00.000Z', '2026-12-01T16:15:00.000Z'],
    'nearestSlots around a slot: the closest starts',
  )
})

t.test('a window beyond the horizon fails with OUTSIDE_HORIZON', async (t) => {
  const result = findSlot(query({ window: { kind: 'date', date: '2027-03-01' } }))
  t.same(
    slotOf(result),
    'OUTSIDE_HORIZON: The window on 2027-03-01 lies beyond the scheduling horizon (60 days, until 2027-01-29T12:00:00.000Z)',
  )
  t.same(
    result.ok ? [] : starts(result.failure.alternatives),
    ['2027-01-28T21:00:00.000Z', '2027-01-28T21:15:00.000Z', '2027-01-28T21:30:00.000Z'],
    'the last slots before the horizon ends (Thursday 16:30 EST is the last)',
  )

  const horizonEnd = MONDAY_MORNING + 60 * 86_400_000
  const range = findSlot(query({ window: { kind: 'range', notBefore: horizonEnd, notAfter: null } }))
  t.equal(range.ok ? null : range.failure.code, 'OUTSIDE_HORIZON')
  const straddling = findSlot(
    query({ window: { kind: 'range', notBefore: horizonEnd - 86_400_000 * 4, notAfter: null } }),
  )
  t.equal(straddling.ok, true, 'a window starting inside the horizon is searched up to its end')
  t.same(feasibleSlots(query({ window: { kind: 'date', date: '2027-03-01' } }), 10), [])
})

t.test('DST days in New York', async (t) => {
  const spring = aCalendar({
    slotMinutes: 60,
    workingHours: week({ sun: [{ start: '01:00', end: '05:00' }] }),
  })
  const now = at('2026-03-01T00:00:00Z')
  t.same(
    slotOf(
      findSlot(
        query({
          settings: spring,
          now,
          durationMinutes: 60,
          window: { kind: 'date', date: '2026-03-08' },
          busy: [span('2026-03-08T06:00:00Z', '2026-03-08T07:00:00Z')],
        }),
      ),
    ),
    ['2026-03-08T07:00:00.000Z', '2026-03-08T08:00:00.000Z'],
    'after 01:00 EST comes 03:00 EDT: 02:00 does not exist',
  )
  const fall = aCalendar({ slotMinutes: 60, workingHours: week({ sun: [{ start: '00:00', end: '04:00' }] }) })
  t.same(
    starts(
      feasibleSlots(
        query({
          settings: fall,
          now: at('2026-10-25T00:00:00Z'),
          durationMinutes: 60,
          window: { kind: 'date', date: '2026-11-01' },
        }),
        10,
      ),
    ),
    [
      '2026-11-01T04:00:00.000Z', // 00:00 EDT
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T06:00:00.000Z', // 01:00 EST
      '2026-11-01T07:00:00.000Z', // 02:00 EST
      '2026-11-01T08:00:00.000Z', // 03:00 EST
    ],
    'the repeated hour is worked twice',
  )
})

t.test('feasibleSlots lists every feasible start in order', async (t) => {
  const slots = feasibleSlots(query({ occupied: [span('2026-12-01T14:30:00Z', '2026-12-01T21:00:00Z')] }), 10)
  t.same(starts(slots), [
    '2026-12-01T14:00:00.000Z',
    '2026-12-01T21:00:00.000Z',
    '2026-12-01T21:15:00.000Z',
    '2026-12-01T21:30:00.000Z',
  ])
  t.same(feasibleSlots(query(), 2).length, 2)
  t.same(feasibleSlots(query(), 0), [])
})

t.test('isFeasibleStart checks every rule at one start', async (t) => {
  t.ok(isFeasibleStart(query(), at('2026-12-01T14:00:00Z')))
  t.notOk(isFeasibleStart(query(), at('2026-12-01T14:05:00Z')), 'not on a boundary')
  t.notOk(isFeasibleStart(query(), at('2026-12-01T21:45:00Z')), 'runs past working hours')
  t.notOk(isFeasibleStart(query(), at('2026-12-02T14:00:00Z')), 'outside the window')
  t.notOk(
    isFeasibleStart(
      query({
        settings: aCalendar({ bufferMinutes: 5 }),
        occupied: [span('2026-12-01T14:30:00Z', '2026-12-01T15:00:00Z')],
      }),
      at('2026-12-01T14:00:00Z'),
    ),
    'within the buffer',
  )
})

t.test('windowInterval and input checks', async (t) => {
  const settings = aCalendar()
  t.same(windowInterval(settings, null), { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY })
  t.same(isoSpan(windowInterval(settings, DEC_1)), ['2026-12-01T05:00:00.000Z', '2026-12-02T05:00:00.000Z'])
  t.throws(() => findSlot(query({ durationMinutes: 0 })), RangeError)
})
