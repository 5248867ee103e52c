import fc from 'fast-check'
import t from 'tap'
import {
  type Attendee,
  type CalendarSettings,
  type EventRecord,
  type Interval,
  type JobPayload,
  type JobRecord,
  PlacementCalendar,
  placedEventOf,
  planJob,
  WEEKDAYS,
} from '../src/index.js'
import { aCalendar, anActiveJob, anEvent, at, MINUTE } from './builders.js'

const BASE = at('2026-11-02T00:00:00Z') // a Monday just after the New York fall back
const PEOPLE = ['ann@example.com', 'bob@example.com']

type Step =
  | {
      kind: 'create'
      placement: 'auto' | 'fixed'
      durationMinutes: number
      offsetQuarterHours: number
      window: 'none' | 'date' | 'range'
      attendees: Attendee[]
    }
  | { kind: 'cancel' | 'delete'; target: number }
  | { kind: 'resize'; target: number; durationMinutes: number }
  | { kind: 'move'; target: number; offsetQuarterHours: number }

const offsetArb = fc.oneof(
  fc
    .record({ day: fc.integer({ min: 0, max: 1 }), quarter: fc.integer({ min: 28, max: 80 }) })
    .map(({ day, quarter }) => day * 96 + quarter),
  fc.integer({ min: 0, max: 3 * 24 * 4 }),
)

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      placement: fc.constantFrom('auto' as const, 'auto' as const, 'fixed' as const),
      durationMinutes: fc.constantFrom(15, 30, 45, 60, 90, 180),
      offsetQuarterHours: offsetArb,
      window: fc.constantFrom('none' as const, 'date' as const, 'range' as const),
      attendees: fc
        .subarray(PEOPLE)
        .chain((emails) =>
          fc.tuple(...emails.map((email) => fc.boolean().map((required) => ({ email, required })))),
        ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constantFrom('cancel' as const, 'delete' as const), target: fc.nat(30) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('resize' as const),
      target: fc.nat(30),
      durationMinutes: fc.constantFrom(15, 30, 60, 120),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('move' as const),
      target: fc.nat(30),
      offsetQuarterHours: offsetArb,
    }),
  },
)

const scenarioArb = fc.record({
  timezone: fc.constantFrom('UTC', 'America/New_York', 'Asia/Kolkata'),
  bufferMinutes: fc.constantFrom(0, 10, 15),
  slotMinutes: fc.constantFrom(5, 15, 30),
  allDay: fc.boolean(),
  steps: fc.array(stepArb, { minLength: 2, maxLength: 25 }),
  busy: fc.array(
    fc.record({
      who: fc.constantFrom(...PEOPLE),
      at: fc.integer({ min: 0, max: 3 * 24 }),
      hours: fc.integer({ min: 1, max: 4 }),
    }),
    { maxLength: 4 },
  ),
})

t.test('plans made against the in-memory calendar equal plans made from the stored list', async (t) => {
  fc.assert(
    fc.property(scenarioArb, (scenario) => {
      const hours = scenario.allDay ? { start: '00:00', end: '24:00' } : { start: '08:00', end: '18:00' }
      const settings: CalendarSettings = {
        ...aCalendar({
          timezone: scenario.timezone,
          bufferMinutes: scenario.bufferMinutes,
          slotMinutes: scenario.slotMinutes,
        }),
        workingHours: Object.fromEntries(
          WEEKDAYS.map((d) => [d, [hours]]),
        ) as CalendarSettings['workingHours'],
        horizonDays: 4,
      }
      const busy = new Map<string, Interval[]>()
      for (const b of scenario.busy) {
        const list = busy.get(b.who) ?? []
        list.push({ start: BASE + b.at * 60 * MINUTE, end: BASE + (b.at + b.hours) * 60 * MINUTE })
        busy.set(b.who, list)
      }
      let now = BASE - 60 * MINUTE
      const calendar = new PlacementCalendar(
        { settings, revision: 0, from: now - 60 * MINUTE, events: [], busy },
        now,
      )
      // The store: every event by id (all statuses).
      const stored = new Map<string, EventRecord>()
      const ids: string[] = []

      scenario.steps.forEach((step, index) => {
        now += 7 * MINUTE
        let job: JobRecord
        let event: EventRecord | null
        if (step.kind === 'create') {
          const when = BASE + step.offsetQuarterHours * 15 * MINUTE
          const id = `evt_${String(index).padStart(2, '0')}`
          const window =
            step.window === 'none'
              ? null
              : step.window === 'date'
                ? { kind: 'date' as const, date: new Date(when).toISOString().slice(0, 10) }
                : { kind: 'range' as const, notBefore: when, notAfter: when + 12 * 60 * MINUTE }
          event = anEvent({
            id,
            durationMinutes: step.durationMinutes,
            attendees: step.attendees,
            ...(step.placement === 'fixed' ? { placement: 'fixed', requestedStart: when } : { window }),
          })
          stored.set(id, event)
          ids.push(id)
          job = anActiveJob({ type: 'create' }, { id: `job_${index}`, eventId: id, createdAt: now })
        } else {
          if (ids.length === 0) return
          const id = ids[step.target % ids.length] as string
          event = stored.get(id) ?? null
          const payload: JobPayload =
            step.kind === 'cancel' || step.kind === 'delete'
              ? { type: step.kind }
              : step.kind === 'resize'
                ? {
                    type: 'update',
                    changes: { durationMinutes: step.durationMinutes },
                    expectedVersion: null,
                  }
                : {
                    type: 'update',
                    changes: {
                      when: {
                        placement: 'fixed',
                        start:
                          BASE + (step as { offsetQuarterHours: number }).offsetQuarterHours * 15 * MINUTE,
                      },
                    },
                    expectedVersion: null,
                  }
          job = anActiveJob(payload, { id: `job_${index}`, eventId: id, createdAt: now })
        }

        const fromList = planJob({
          job,
          event,
          settings,
          now,
          occupying: [...stored.values()].filter((e) => e.status === 'scheduled'),
          busy,
        })
        const fromCalendar = calendar.plan(job, event, now, stored)
        if (JSON.stringify(fromCalendar) !== JSON.stringify(fromList)) {
          throw new Error(`step ${index}: ${JSON.stringify(fromCalendar)} != ${JSON.stringify(fromList)}`)
        }
        calendar.apply(fromCalendar)
        for (const upsert of fromCalendar.upserts) stored.set(upsert.id, upsert)
        for (const id of fromCalendar.deletions) stored.delete(id)

        const expected = [...stored.values()]
          .filter((e) => e.status === 'scheduled')
          .sort((a, b) => (a.start as number) - (b.start as number) || (a.id < b.id ? -1 : 1))
          .map(placedEventOf)
        if (JSON.stringify(calendar.events()) !== JSON.stringify(expected))
          throw new Error(`step ${index}: calendars differ`)
      })
      return true
    }),
    { numRuns: 150 },
  )
  t.pass('same plans, same calendar')
})
