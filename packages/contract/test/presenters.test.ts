import type { EventRecord, JobRecord } from '@scheduler/core'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import t from 'tap'
import {
  contractSchemas,
  EventSchema,
  JobSchema,
  parseWireInstant,
  toCalendarResource,
  toEventResource,
  toEventStatusResource,
  toJobResource,
  toWindowResource,
} from '../src/index.js'

const T0 = Date.UTC(2031, 0, 6, 14, 0, 0)
const HOUR = 3_600_000

function anEvent(overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    id: 'evt_1',
    calendarId: 'default',
    title: 'Board sync',
    description: null,
    location: 'Room 4',
    attendees: [
      { email: 'a@example.com', required: true },
      { email: 'b@example.com', name: 'B', required: false },
    ],
    durationMinutes: 60,
    placement: 'auto',
    window: { kind: 'range', notBefore: T0, notAfter: null },
    requestedStart: null,
    start: T0,
    end: T0 + HOUR,
    status: 'scheduled',
    failure: null,
    attendeeConflicts: [],
    outsideWorkingHours: false,
    version: 3,
    sequence: 5,
    createdAt: T0 - HOUR,
    updatedAt: T0 - HOUR / 2,
    ...overrides,
  }
}

const ajv = new Ajv({ strict: false })
addFormats.default(ajv)
for (const schema of contractSchemas) ajv.addSchema(schema)

t.test('toEventResource', async (t) => {
  const resource = toEventResource(anEvent(), T0 - 2 * HOUR)
  t.same(resource, {
    id: 'evt_1',
    title: 'Board sync',
    description: null,
    location: 'Room 4',
    attendees: [
      { email: 'a@example.com', required: true },
      { email: 'b@example.com', name: 'B', required: false },
    ],
    durationMinutes: 60,
    placement: 'auto',
    window: { notBefore: '2031-01-06T14:00:00.000Z' },
    start: '2031-01-06T14:00:00.000Z',
    end: '2031-01-06T15:00:00.000Z',
    status: 'scheduled',
    failure: null,
    attendeeConflicts: [],
    outsideWorkingHours: false,
    version: 3,
    createdAt: '2031-01-06T13:00:00.000Z',
    updatedAt: '2031-01-06T13:30:00.000Z',
  })
  t.ok(ajv.validate(EventSchema.$id!, resource), JSON.stringify(ajv.errors))
  t.equal(toEventResource(anEvent(), T0 + HOUR / 2).status, 'in_progress')
  t.equal(toEventResource(anEvent(), T0 + HOUR).status, 'completed')
  const failed = toEventResource(
    anEvent({
      status: 'failed',
      start: null,
      end: null,
      failure: {
        code: 'NO_SLOT_AVAILABLE',
        message: 'No slot',
        alternatives: [{ start: T0, end: T0 + HOUR }],
      },
    }),
    T0,
  )
  t.same(failed.failure, {
    code: 'NO_SLOT_AVAILABLE',
    message: 'No slot',
    alternatives: [{ start: '2031-01-06T14:00:00.000Z', end: '2031-01-06T15:00:00.000Z' }],
  })
  t.ok(ajv.validate(EventSchema.$id!, failed), JSON.stringify(ajv.errors))
  t.same(Object.keys(toEventStatusResource(anEvent(), T0)).sort(), [
    'end',
    'failure',
    'id',
    'start',
    'status',
    'updatedAt',
  ])
})

t.test('toWindowResource', async (t) => {
  t.equal(toWindowResource(null), null)
  t.same(toWindowResource({ kind: 'date', date: '2031-01-06' }), { date: '2031-01-06' })
  t.same(toWindowResource({ kind: 'range', notBefore: null, notAfter: T0 }), {
    notAfter: '2031-01-06T14:00:00.000Z',
  })
  t.equal(toWindowResource({ kind: 'range', notBefore: null, notAfter: null }), null)
})

t.test('toJobResource', async (t) => {
  const job: JobRecord = {
    id: 'job_1',
    calendarId: 'default',
    type: 'create',
    eventId: 'evt_1',
    state: 'completed',
    payload: { type: 'create' },
    outcome: { displaced: [{ eventId: 'evt_2', from: { start: T0, end: T0 + HOUR }, to: null }] },
    error: null,
    createdAt: T0,
    finishedAt: T0 + 1000,
  }
  const resource = toJobResource(job)
  t.same(resource, {
    id: 'job_1',
    type: 'create',
    eventId: 'evt_1',
    state: 'completed',
    outcome: {
      displaced: [
        {
          eventId: 'evt_2',
          from: { start: '2031-01-06T14:00:00.000Z', end: '2031-01-06T15:00:00.000Z' },
          to: null,
        },
      ],
    },
    error: null,
    createdAt: '2031-01-06T14:00:00.000Z',
    finishedAt: '2031-01-06T14:00:01.000Z',
  })
  t.ok(ajv.validate(JobSchema.$id!, resource), JSON.stringify(ajv.errors))
})

t.test('toCalendarResource', async (t) => {
  const day = [{ start: '09:00', end: '17:00' }]
  const resource = toCalendarResource({
    id: 'default',
    timezone: 'UTC',
    workingHours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: [], sun: [] },
    bufferMinutes: 0,
    slotMinutes: 15,
    minNoticeMinutes: 0,
    horizonDays: 60,
    blackouts: [{ start: T0, end: T0 + HOUR, reason: null }],
  })
  t.same(resource.blackouts, [
    { start: '2031-01-06T14:00:00.000Z', end: '2031-01-06T15:00:00.000Z', reason: null },
  ])
  t.ok(ajv.validate('Calendar', resource), JSON.stringify(ajv.errors))
})

t.test('parseWireInstant', async (t) => {
  t.equal(parseWireInstant('2031-01-06T15:00:00+01:00'), T0)
  t.equal(parseWireInstant('2031-01-06t14:00:00z'), T0)
  t.throws(() => parseWireInstant('2031-12-31T23:59:60Z'), RangeError)
})
