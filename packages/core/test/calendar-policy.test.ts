import t from 'tap'
import {
  canonicalTimeZone,
  isSlotBoundary,
  isWithinWorkingHours,
  localDate,
  localDayRange,
  nextSlotBoundary,
  overlapsBlackout,
  parseWorkingHoursSpec,
  validateCalendarSettings,
  workingIntervalAround,
  workingIntervals,
} from '../src/index.js'
import { aCalendar, at, HOUR, isoSpan, span, week } from './builders.js'

const nineToFive = [{ start: '09:00', end: '17:00' }]

t.test('parseWorkingHoursSpec', async (t) => {
  t.same(parseWorkingHoursSpec('mon-fri 09:00-17:00'), {
    mon: nineToFive,
    tue: nineToFive,
    wed: nineToFive,
    thu: nineToFive,
    fri: nineToFive,
    sat: [],
    sun: [],
  })
  const split = [
    { start: '09:00', end: '12:00' },
    { start: '13:00', end: '17:00' },
  ]
  t.same(parseWorkingHoursSpec('mon-thu 09:00-12:00,13:00-17:00; fri 09:00-13:00'), {
    mon: split,
    tue: split,
    wed: split,
    thu: split,
    fri: [{ start: '09:00', end: '13:00' }],
    sat: [],
    sun: [],
  })
  t.same(
    parseWorkingHoursSpec(' Mon - Wed , SAT  9:00 - 12:30 , 08:00-08:30 ;sun 00:00-24:00; '),
    week({
      mon: [
        { start: '08:00', end: '08:30' },
        { start: '09:00', end: '12:30' },
      ],
      tue: [
        { start: '08:00', end: '08:30' },
        { start: '09:00', end: '12:30' },
      ],
      wed: [
        { start: '08:00', end: '08:30' },
        { start: '09:00', end: '12:30' },
      ],
      sat: [
        { start: '08:00', end: '08:30' },
        { start: '09:00', end: '12:30' },
      ],
      sun: [{ start: '00:00', end: '24:00' }],
    }),
    'case, spaces, single days, unsorted ranges and 24:00',
  )
  t.same(
    parseWorkingHoursSpec('fri-mon 10:00-11:00'),
    week({
      fri: [{ start: '10:00', end: '11:00' }],
      sat: [{ start: '10:00', end: '11:00' }],
      sun: [{ start: '10:00', end: '11:00' }],
      mon: [{ start: '10:00', end: '11:00' }],
    }),
    'a day range may wrap around the week',
  )

  t.same(
    parseWorkingHoursSpec('mon-fri 22:00-02:00; sat 01:00-02:00,09:00-09:00; sun 00:00-00:00'),
    week({
      mon: [{ start: '22:00', end: '02:00' }],
      tue: [{ start: '22:00', end: '02:00' }],
      wed: [{ start: '22:00', end: '02:00' }],
      thu: [{ start: '22:00', end: '02:00' }],
      fri: [{ start: '22:00', end: '02:00' }],
      sat: [
        { start: '01:00', end: '02:00' },
        { start: '09:00', end: '09:00' },
      ],
      sun: [{ start: '00:00', end: '00:00' }],
    }),
    'an end not after the start runs into the next day (equal: 24 hours)',
  )

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['  ;  ', /empty/],
    ['mon-fri', /is not "<days> <HH:MM-HH:MM>/],
    ['mon fri 09:00-17:00', /is not "<days>/],
    ['funday 09:00-17:00', /unknown day "funday"/],
    ['mon-fri-sun 09:00-17:00', /is not a day or a day range/],
    ['mon 9-17', /"9-17" is not a time range/],
    ['mon 25:00-26:00', /"25:00" is not a start time/],
    ['mon 09:00-24:30', /"24:30" is not an end time/],
    ['mon 24:00-24:00', /"24:00" is not a start time/],
    ['mon 22:00-02:00,23:00-23:30', /ranges 22:00-02:00 and 23:00-23:30 overlap/],
    ['mon 09:00-12:00,11:00-13:00', /ranges 09:00-12:00 and 11:00-13:00 overlap/],
    ['mon-fri 09:00-17:00; fri 18:00-19:00', /fri is listed more than once/],
  ]
  for (const [spec, message] of bad) {
    t.throws(() => parseWorkingHoursSpec(spec), { message }, `rejects "${spec}"`)
    t.throws(() => parseWorkingHoursSpec(spec), { message: /^Invalid working hours "/ })
  }
})

t.test('validateCalendarSettings', async (t) => {
  t.same(validateCalendarSettings(aCalendar()), [])
  t.same(
    validateCalendarSettings(aCalendar({ timezone: 'Asia/Kolkata', slotMinutes: 1440, horizonDays: 3650 })),
    [],
  )
  t.same(
    validateCalendarSettings(
      aCalendar({ workingHours: week({ sun: [{ start: '00:00', end: '24:00' }] }), bufferMinutes: 0 }),
    ),
    [],
  )

  const problems = validateCalendarSettings(
    aCalendar({
      timezone: 'Mars/Olympus_Mons',
      workingHours: week({
        mon: [{ start: '9:00', end: '17:00' }],
        tue: [{ start: '17:00', end: '10:00' }],
        wed: [
          { start: '09:00', end: '12:00' },
          { start: '11:00', end: '13:00' },
        ],
        thu: [
          { start: '13:00', end: '14:00' },
          { start: '09:00', end: '10:00' },
        ],
        fri: [{ start: '24:00', end: '24:00' }],
        sat: [{ start: '10:00', end: '25:00' }],
      }),
      slotMinutes: 0,
      bufferMinutes: -5,
      minNoticeMinutes: 1.5,
      horizonDays: 3651,
      blackouts: [{ start: at('2026-12-01T10:00:00Z'), end: at('2026-12-01T10:00:00Z'), reason: null }],
    }),
  )
  t.same(problems, [
    'timezone: "Mars/Olympus_Mons" is not a valid IANA time zone',
    'workingHours.mon[0].start: "9:00" is not a time HH:MM (00:00–23:59)',
    'workingHours.wed[0]: 09:00-12:00 overlaps tue 17:00-10:00, which runs into wed',
    'workingHours.wed[1]: 11:00-13:00 overlaps or precedes the range before it',
    'workingHours.thu[1]: 09:00-10:00 overlaps or precedes the range before it',
    'workingHours.fri[0].start: "24:00" is not a time HH:MM (00:00–23:59)',
    'workingHours.sat[0].end: "25:00" is not a time HH:MM (00:00–24:00)',
    'slotMinutes: must be an integer from 1 to 1440',
    'bufferMinutes: must be an integer from 0 to 1440',
    'minNoticeMinutes: must be a non-negative integer',
    'horizonDays: must be an integer from 1 to 3650',
    'blackouts[0]: end must be after start',
  ])
  t.same(
    validateCalendarSettings(
      aCalendar({
        workingHours: week({
          mon: [{ start: '22:00', end: '02:00' }],
          tue: [
            { start: '02:00', end: '03:00' },
            { start: '09:00', end: '09:00' },
          ],
          wed: [{ start: '09:00', end: '10:00' }],
          sat: [{ start: '00:00', end: '00:00' }],
          sun: [{ start: '00:00', end: '24:00' }],
        }),
      }),
    ),
    [],
    'overnight ranges, and ranges that touch across midnight',
  )
  t.same(
    validateCalendarSettings(
      aCalendar({
        workingHours: week({
          sun: [{ start: '20:00', end: '01:00' }],
          mon: [{ start: '00:30', end: '08:00' }],
        }),
      }),
    ),
    ['workingHours.mon[0]: 00:30-08:00 overlaps sun 20:00-01:00, which runs into mon'],
    'Sunday night runs into Monday',
  )
  t.same(validateCalendarSettings(aCalendar({ timezone: 'america/new_york' })), [], 'any case')
  t.match(validateCalendarSettings(aCalendar({ timezone: '+05:30' })), [
    /timezone: "\+05:30" is not a valid IANA/,
  ])
  t.match(validateCalendarSettings(aCalendar({ slotMinutes: 1441, horizonDays: 0 })), [
    /slotMinutes/,
    /horizonDays/,
  ])
})

t.test('workingIntervals in New York across spring forward (2026-03-08)', async (t) => {
  const settings = aCalendar()
  t.same(workingIntervals(settings, span('2026-03-06T00:00:00Z', '2026-03-10T00:00:00Z')).map(isoSpan), [
    ['2026-03-06T14:00:00.000Z', '2026-03-06T22:00:00.000Z'], // Friday, EST (−05:00)
    ['2026-03-09T13:00:00.000Z', '2026-03-09T21:00:00.000Z'], // Monday, EDT (−04:00)
  ])
  t.same(
    workingIntervals(settings, span('2026-03-06T15:00:00Z', '2026-03-09T13:00:00Z')).map(isoSpan),
    [['2026-03-06T14:00:00.000Z', '2026-03-06T22:00:00.000Z']],
    'only intervals overlapping the range; touching is not overlapping',
  )

  const sunday = aCalendar({ workingHours: week({ sun: [{ start: '00:00', end: '24:00' }] }) })
  const [whole] = workingIntervals(sunday, localDayRange(sunday, '2026-03-08'))
  t.same(isoSpan(whole!), ['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'], 'a 23-hour day')

  const gap = aCalendar({
    workingHours: week({
      sun: [
        { start: '01:00', end: '02:30' },
        { start: '02:40', end: '03:00' },
        { start: '03:00', end: '05:00' },
      ],
    }),
  })
  t.same(
    workingIntervals(gap, localDayRange(gap, '2026-03-08')).map(isoSpan),
    [
      // 02:30 does not exist: shifted forward by the gap, to 03:30 EDT; 02:40-03:00 becomes
      // 03:40 EDT-03:00 EDT: empty, dropped; 03:00-05:00 EDT overlaps the first: joined
      ['2026-03-08T06:00:00.000Z', '2026-03-08T09:00:00.000Z'],
    ],
    'nonexistent local times shift forward, and intervals that then overlap are joined',
  )
})

t.test('workingIntervals in New York across fall back (2026-11-01)', async (t) => {
  const settings = aCalendar()
  t.same(workingIntervals(settings, span('2026-10-30T00:00:00Z', '2026-11-03T00:00:00Z')).map(isoSpan), [
    ['2026-10-30T13:00:00.000Z', '2026-10-30T21:00:00.000Z'], // Friday, EDT
    ['2026-11-02T14:00:00.000Z', '2026-11-02T22:00:00.000Z'], // Monday, EST
  ])
  const sunday = aCalendar({
    workingHours: week({
      sun: [
        { start: '00:00', end: '01:30' },
        { start: '01:30', end: '02:00' },
        { start: '08:00', end: '24:00' },
      ],
    }),
  })
  t.same(workingIntervals(sunday, localDayRange(sunday, '2026-11-01')).map(isoSpan), [
    // 01:30 is ambiguous: its first occurrence (EDT); 02:00 is EST, so the second range lasts 90 minutes;
    // the two touch: one interval
    ['2026-11-01T04:00:00.000Z', '2026-11-01T07:00:00.000Z'],
    ['2026-11-01T13:00:00.000Z', '2026-11-02T05:00:00.000Z'],
  ])
  const day = localDayRange(sunday, '2026-11-01')
  t.equal((day.end - day.start) / HOUR, 25, 'a 25-hour day')
})

t.test('workingIntervals in Asia/Kolkata (+05:30) and UTC', async (t) => {
  const kolkata = aCalendar({ timezone: 'Asia/Kolkata' })
  t.same(workingIntervals(kolkata, span('2026-06-10T00:00:00Z', '2026-06-11T00:00:00Z')).map(isoSpan), [
    ['2026-06-10T03:30:00.000Z', '2026-06-10T11:30:00.000Z'],
  ])
  const utc = aCalendar({ timezone: 'UTC' })
  t.same(workingIntervals(utc, span('2026-12-05T00:00:00Z', '2026-12-08T00:00:00Z')).map(isoSpan), [
    ['2026-12-07T09:00:00.000Z', '2026-12-07T17:00:00.000Z'],
  ])
  t.throws(() => workingIntervals(utc, { start: 0, end: Number.POSITIVE_INFINITY }), RangeError)
  t.same(workingIntervals(utc, span('2026-12-07T12:00:00Z', '2026-12-07T12:00:00Z')), [], 'empty range')
})

t.test('localDayRange and localDate', async (t) => {
  const ny = aCalendar()
  t.same(isoSpan(localDayRange(ny, '2026-03-08')), ['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'])
  t.same(isoSpan(localDayRange(ny, '2026-11-01')), ['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z'])
  t.same(isoSpan(localDayRange(ny, '2026-12-01')), ['2026-12-01T05:00:00.000Z', '2026-12-02T05:00:00.000Z'])
  t.same(isoSpan(localDayRange({ timezone: 'Asia/Kolkata' }, '2026-12-01')), [
    '2026-11-30T18:30:00.000Z',
    '2026-12-01T18:30:00.000Z',
  ])
  // Santiago moves its clocks at midnight: 2026-09-06 starts at 01:00 local
  const santiago = localDayRange({ timezone: 'America/Santiago' }, '2026-09-06')
  t.equal((santiago.end - santiago.start) / HOUR, 23)
  t.throws(() => localDayRange(ny, '2026-02-30'), /Invalid date/)
  t.throws(() => localDayRange(ny, '1 Dec 2026'), /Invalid date/)
  t.throws(() => localDayRange({ timezone: 'Nowhere/Land' }, '2026-12-01'), /Unknown IANA time zone/)
  t.equal(localDate(ny, at('2026-12-02T04:59:00Z')), '2026-12-01')
  t.equal(localDate(ny, at('2026-12-02T05:00:00Z')), '2026-12-02')
})

t.test('isWithinWorkingHours and overlapsBlackout', async (t) => {
  const settings = aCalendar({
    blackouts: [{ start: at('2026-12-01T15:00:00Z'), end: at('2026-12-01T16:00:00Z'), reason: 'offsite' }],
  })
  t.ok(isWithinWorkingHours(settings, span('2026-12-01T14:00:00Z', '2026-12-01T22:00:00Z')))
  t.notOk(isWithinWorkingHours(settings, span('2026-12-01T13:59:00Z', '2026-12-01T15:00:00Z')))
  t.notOk(isWithinWorkingHours(settings, span('2026-12-01T21:30:00Z', '2026-12-01T22:01:00Z')))
  t.notOk(isWithinWorkingHours(settings, span('2026-12-05T15:00:00Z', '2026-12-05T16:00:00Z')), 'Saturday')
  const split = aCalendar({
    workingHours: week({
      tue: [
        { start: '09:00', end: '12:00' },
        { start: '12:00', end: '17:00' },
      ],
    }),
  })
  t.ok(
    isWithinWorkingHours(split, span('2026-12-01T16:30:00Z', '2026-12-01T17:30:00Z')),
    'touching ranges are one interval',
  )
  const overnight = aCalendar({ workingHours: week({ mon: [{ start: '22:00', end: '02:00' }] }) })
  t.ok(isWithinWorkingHours(overnight, span('2026-12-08T03:00:00Z', '2026-12-08T07:00:00Z')), 'Mon 22–Tue 02')
  t.notOk(isWithinWorkingHours(overnight, span('2026-12-08T03:00:00Z', '2026-12-08T07:01:00Z')))
  t.same(isoSpan(workingIntervalAround(overnight, span('2026-12-08T05:00:00Z', '2026-12-08T05:00:00Z'))!), [
    '2026-12-08T03:00:00.000Z',
    '2026-12-08T07:00:00.000Z',
  ])
  t.equal(workingIntervalAround(overnight, span('2026-12-08T07:00:00Z', '2026-12-08T08:00:00Z')), null)
  t.ok(overlapsBlackout(settings, span('2026-12-01T15:59:00Z', '2026-12-01T17:00:00Z')))
  t.notOk(overlapsBlackout(settings, span('2026-12-01T16:00:00Z', '2026-12-01T17:00:00Z')))
  t.notOk(overlapsBlackout(settings, span('2026-12-01T14:00:00Z', '2026-12-01T15:00:00Z')))
})

t.test('isSlotBoundary and nextSlotBoundary follow the local wall clock', async (t) => {
  // Anchored at local midnight, as intervals that begin at midnight are
  const ny = aCalendar({ slotMinutes: 15 })
  const sunday = { start: at('2026-03-08T05:00:00Z') }
  t.ok(isSlotBoundary(ny, sunday, at('2026-03-08T07:00:00Z')), '03:00 EDT')
  t.ok(isSlotBoundary(ny, sunday, at('2026-03-08T07:15:00Z')))
  t.notOk(isSlotBoundary(ny, sunday, at('2026-03-08T07:16:00Z')))
  t.notOk(isSlotBoundary(ny, sunday, at('2026-03-08T07:15:01Z')), 'seconds')
  t.notOk(isSlotBoundary(ny, sunday, at('2026-03-08T07:15:00.001Z')), 'milliseconds')
  t.notOk(isSlotBoundary(ny, sunday, at('2026-03-08T04:45:00Z')), 'before the interval begins')

  const kolkata = aCalendar({ timezone: 'Asia/Kolkata', slotMinutes: 60 })
  const nine = { start: at('2026-06-10T03:30:00Z') }
  t.ok(isSlotBoundary(kolkata, nine, at('2026-06-10T03:30:00Z')), '09:00 IST')
  t.notOk(isSlotBoundary(kolkata, nine, at('2026-06-10T04:00:00Z')), '09:30 IST is not on the hour')
  t.ok(isSlotBoundary({ ...kolkata, slotMinutes: 30 }, nine, at('2026-06-10T04:00:00Z')))
  t.equal(nextSlotBoundary(kolkata, nine, at('2026-06-10T04:00:00Z')), at('2026-06-10T04:30:00Z'))
  t.equal(
    nextSlotBoundary(kolkata, nine, at('2026-06-10T00:00:00Z')),
    at('2026-06-10T03:30:00Z'),
    'not before',
  )

  // 45-minute slots: 00:00, 00:45, 01:30, 02:15 (does not exist on 2026-03-08), 03:00, 03:45 …
  const odd = aCalendar({ slotMinutes: 45 })
  t.equal(
    nextSlotBoundary(odd, sunday, at('2026-03-08T06:31:00Z')),
    at('2026-03-08T07:00:00Z'),
    '01:31 EST → 03:00 EDT',
  )
  t.equal(nextSlotBoundary(odd, sunday, at('2026-03-08T07:00:00Z')), at('2026-03-08T07:00:00Z'))
  t.equal(nextSlotBoundary(odd, sunday, at('2026-03-08T07:00:00.5Z')), at('2026-03-08T07:45:00Z'))
  // Fall back: after 01:31 EDT the wall clock reaches 01:59 EDT, then 01:00 EST (minute 60, not a boundary),
  // then 01:30 EST
  const fallBack = { start: at('2026-11-01T04:00:00Z') }
  t.equal(
    nextSlotBoundary(odd, fallBack, at('2026-11-01T05:31:00Z')),
    at('2026-11-01T06:30:00Z'),
    '→ 01:30 EST',
  )

  // Working time that never begins: every slot from each local midnight; with 25-minute slots the last
  // boundary of a day is 23:45, the next is midnight
  const always = { start: Number.NEGATIVE_INFINITY }
  const quarter = aCalendar({ timezone: 'UTC', slotMinutes: 25 })
  t.equal(nextSlotBoundary(quarter, always, at('2026-12-01T23:46:00Z')), at('2026-12-02T00:00:00Z'))
  t.equal(nextSlotBoundary(quarter, always, at('2026-12-01T23:44:00Z')), at('2026-12-01T23:45:00Z'))
  t.ok(isSlotBoundary(quarter, always, at('2026-12-02T00:25:00Z')))
})

t.test('slot boundaries are counted from where working time begins', async (t) => {
  const hourly = aCalendar({ slotMinutes: 60 })
  const nineThirty = { start: at('2026-12-01T14:30:00Z') } // 09:30 EST
  t.ok(isSlotBoundary(hourly, nineThirty, at('2026-12-01T14:30:00Z')), '09:30')
  t.ok(isSlotBoundary(hourly, nineThirty, at('2026-12-01T15:30:00Z')), '10:30')
  t.notOk(isSlotBoundary(hourly, nineThirty, at('2026-12-01T15:00:00Z')), '10:00')
  t.equal(nextSlotBoundary(hourly, nineThirty, at('2026-12-01T14:31:00Z')), at('2026-12-01T15:30:00Z'))
  t.equal(nextSlotBoundary(hourly, nineThirty, at('2026-12-01T14:00:00Z')), at('2026-12-01T14:30:00Z'))

  // An interval joined across midnight keeps counting from its start: 22:00, 22:45, 23:30, 00:15 …
  const odd = aCalendar({ timezone: 'UTC', slotMinutes: 45 })
  const night = { start: at('2026-12-07T22:00:00Z') }
  t.equal(nextSlotBoundary(odd, night, at('2026-12-07T23:31:00Z')), at('2026-12-08T00:15:00Z'))
  t.ok(isSlotBoundary(odd, night, at('2026-12-08T01:00:00Z')))
  t.notOk(isSlotBoundary(odd, night, at('2026-12-08T00:00:00Z')), 'midnight is not a boundary here')

  // Lord Howe Island falls back 30 minutes (02:00 +11:00 → 01:30 +10:30) on 2026-04-05: hourly slots
  // from midnight are 01:00 and then 02:00, 90 minutes later; 01:30 is not a boundary either time
  const lordHowe = aCalendar({ timezone: 'Australia/Lord_Howe', slotMinutes: 60 })
  const midnight = { start: at('2026-04-04T13:00:00Z') }
  t.ok(isSlotBoundary(lordHowe, midnight, at('2026-04-04T14:00:00Z')), '01:00 +11:00')
  t.equal(nextSlotBoundary(lordHowe, midnight, at('2026-04-04T14:00:01Z')), at('2026-04-04T15:30:00Z'))
  t.notOk(isSlotBoundary(lordHowe, midnight, at('2026-04-04T15:00:00Z')), '01:30 +10:30')
})

t.test('overnight ranges and working time joined across midnight', async (t) => {
  const split = aCalendar({
    timezone: 'UTC',
    workingHours: week({
      mon: [{ start: '22:00', end: '24:00' }],
      tue: [{ start: '00:00', end: '02:00' }],
    }),
  })
  const single = aCalendar({
    timezone: 'UTC',
    workingHours: week({ mon: [{ start: '22:00', end: '02:00' }] }),
  })
  for (const settings of [split, single]) {
    t.same(workingIntervals(settings, span('2026-12-07T00:00:00Z', '2026-12-15T00:00:00Z')).map(isoSpan), [
      ['2026-12-07T22:00:00.000Z', '2026-12-08T02:00:00.000Z'],
      ['2026-12-14T22:00:00.000Z', '2026-12-15T02:00:00.000Z'],
    ])
    t.same(
      workingIntervals(settings, span('2026-12-08T01:00:00Z', '2026-12-08T01:30:00Z')).map(isoSpan),
      [['2026-12-07T22:00:00.000Z', '2026-12-08T02:00:00.000Z']],
      'whole, not clipped to the range: its start is where working time begins',
    )
  }

  const wholeWeekdays = aCalendar({
    timezone: 'UTC',
    workingHours: week({
      mon: [{ start: '00:00', end: '24:00' }],
      tue: [{ start: '00:00', end: '00:00' }],
      wed: [{ start: '00:00', end: '24:00' }],
      thu: [{ start: '00:00', end: '24:00' }],
      fri: [{ start: '00:00', end: '24:00' }],
    }),
  })
  t.same(
    workingIntervals(wholeWeekdays, span('2026-12-10T12:00:00Z', '2026-12-10T13:00:00Z')).map(isoSpan),
    [['2026-12-07T00:00:00.000Z', '2026-12-12T00:00:00.000Z']],
    'joined from Monday to Saturday, found from Thursday',
  )

  const weekend = aCalendar({
    timezone: 'UTC',
    workingHours: week({ sun: [{ start: '20:00', end: '01:00' }], mon: [{ start: '01:00', end: '03:00' }] }),
  })
  t.same(workingIntervals(weekend, span('2026-12-07T00:00:00Z', '2026-12-07T00:01:00Z')).map(isoSpan), [
    ['2026-12-06T20:00:00.000Z', '2026-12-07T03:00:00.000Z'],
  ])

  const allDay = aCalendar({
    workingHours: week({
      mon: [{ start: '09:00', end: '09:00' }],
      tue: [{ start: '09:00', end: '09:00' }],
      wed: [{ start: '09:00', end: '09:00' }],
      thu: [{ start: '09:00', end: '09:00' }],
      fri: [{ start: '09:00', end: '09:00' }],
      sat: [{ start: '09:00', end: '09:00' }],
      sun: [{ start: '09:00', end: '09:00' }],
    }),
  })
  t.same(workingIntervals(allDay, span('2026-12-07T00:00:00Z', '2026-12-08T00:00:00Z')), [
    { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY },
  ])
  t.ok(isWithinWorkingHours(allDay, span('2026-12-07T00:00:00Z', '2026-12-20T00:00:00Z')), 'no gap at all')

  // Across DST: Saturday 22:00 → Sunday 06:00 in New York is 7 hours on 2026-03-08 and 9 on 2026-11-01
  const night = aCalendar({ workingHours: week({ sat: [{ start: '22:00', end: '06:00' }] }) })
  t.same(workingIntervals(night, span('2026-03-08T06:00:00Z', '2026-03-08T06:01:00Z')).map(isoSpan), [
    ['2026-03-08T03:00:00.000Z', '2026-03-08T10:00:00.000Z'],
  ])
  t.same(workingIntervals(night, span('2026-11-01T06:00:00Z', '2026-11-01T06:01:00Z')).map(isoSpan), [
    ['2026-11-01T02:00:00.000Z', '2026-11-01T11:00:00.000Z'],
  ])
  const split2 = aCalendar({
    workingHours: week({ sat: [{ start: '22:00', end: '02:30' }], sun: [{ start: '03:00', end: '06:00' }] }),
  })
  t.same(
    workingIntervals(split2, span('2026-03-08T06:00:00Z', '2026-03-08T06:01:00Z')).map(isoSpan),
    [['2026-03-08T03:00:00.000Z', '2026-03-08T10:00:00.000Z']],
    '02:30 does not exist on 2026-03-08 (→ 03:30 EDT): the ranges overlap and are joined',
  )
})

t.test('canonicalTimeZone spells names as the tz database does', async (t) => {
  for (const [name, canonical] of [
    ['america/new_york', 'America/New_York'],
    ['AMERICA/NEW_YORK', 'America/New_York'],
    ['America/New_York', 'America/New_York'],
    ['asia/kolkata', 'Asia/Kolkata'],
    ['Asia/Calcutta', 'Asia/Calcutta'],
    ['australia/lord_howe', 'Australia/Lord_Howe'],
    ['america/port-au-prince', 'America/Port-au-Prince'],
    ['antarctica/dumontdurville', 'Antarctica/DumontDUrville'],
    ['utc', 'UTC'],
    ['etc/utc', 'Etc/UTC'],
    ['etc/gmt+5', 'Etc/GMT+5'],
    ['us/eastern', 'US/Eastern'],
    ['est5edt', 'EST5EDT'],
  ] as const) {
    t.equal(canonicalTimeZone(name), canonical, name)
  }
  for (const name of ['Nowhere/Land', '+05:30', 'Z', '', 'America/New York']) {
    t.equal(canonicalTimeZone(name), null, `"${name}" is no IANA zone`)
  }
})
