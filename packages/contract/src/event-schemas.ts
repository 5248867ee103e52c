import { EVENT_STATUSES, FAILURE_CODES, JOB_TYPES } from '@scheduler/core'
import { type Static, Type } from '@sinclair/typebox'
import {
  dateTime,
  INSTANT_RANGE_RULE,
  IntervalSchema,
  localDate,
  nullable,
  ref,
  requestDateTime,
} from './common-schemas.js'

export const MAX_ATTENDEES = 100

export const AttendeeSchema = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 320, description: 'Lower-cased' }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    required: Type.Boolean({ description: 'Required attendees must be free for an auto-placed event' }),
  },
  { $id: 'Attendee', additionalProperties: false },
)
export type AttendeeResource = Static<typeof AttendeeSchema>

export const EventWindowSchema = Type.Union(
  [
    Type.Object({ date: localDate('A calendar-local day') }, { additionalProperties: false }),
    Type.Object(
      { notBefore: Type.Optional(dateTime()), notAfter: Type.Optional(dateTime()) },
      { additionalProperties: false },
    ),
  ],
  {
    $id: 'EventWindow',
    description: 'Where an auto event may be placed: a calendar-local day or a time range.',
  },
)
export type EventWindowResource = Static<typeof EventWindowSchema>

export const FailureSchema = Type.Object(
  {
    code: Type.Union(
      FAILURE_CODES.map((code) => Type.Literal(code)),
      {
        description:
          '`NO_SLOT_AVAILABLE`: no feasible slot; `CONFLICT`: a fixed event overlaps another fixed one; ' +
          '`OUTSIDE_HORIZON`: the window lies past the horizon; `NOT_APPLIED`: the change could not be applied at ' +
          'all (its job failed for good); the event can be moved again, cancelled or deleted',
      },
    ),
    message: Type.String(),
    alternatives: Type.Array(ref(IntervalSchema), {
      maxItems: 3,
      description: 'Up to 3 nearest feasible slots that the window or constraints excluded',
    }),
  },
  { $id: 'Failure', additionalProperties: false, description: 'Why an event could not be placed.' },
)
export type FailureResource = Static<typeof FailureSchema>

const EventStatus = Type.Union(
  EVENT_STATUSES.map((status) => Type.Literal(status)),
  { description: '`in_progress` and `completed` follow from the clock' },
)

export const EventSchema = Type.Object(
  {
    id: Type.String({ description: 'Opaque, prefixed `evt_`' }),
    title: Type.String(),
    description: nullable(Type.String()),
    location: nullable(Type.String()),
    attendees: Type.Array(ref(AttendeeSchema)),
    durationMinutes: Type.Integer(),
    placement: Type.Union([Type.Literal('auto'), Type.Literal('fixed')]),
    window: nullable(ref(EventWindowSchema)),
    start: nullable(dateTime()),
    end: nullable(dateTime()),
    status: EventStatus,
    failure: nullable(ref(FailureSchema)),
    attendeeConflicts: Type.Array(Type.String(), {
      description: 'Required attendees whose busy times this fixed event clashes with',
    }),
    outsideWorkingHours: Type.Boolean({
      description: 'A fixed event placed outside working hours or in a blackout',
    }),
    version: Type.Integer({ description: 'Compared by `If-Match`' }),
    createdAt: dateTime(),
    updatedAt: dateTime(),
  },
  { $id: 'Event', additionalProperties: false },
)
export type EventResource = Static<typeof EventSchema>

export const EventStatusViewSchema = Type.Object(
  {
    id: Type.String(),
    status: EventStatus,
    start: nullable(dateTime()),
    end: nullable(dateTime()),
    failure: nullable(ref(FailureSchema)),
    updatedAt: dateTime(),
  },
  { $id: 'EventStatusView', additionalProperties: false },
)
export type EventStatusViewResource = Static<typeof EventStatusViewSchema>

export const EventTombstoneSchema = Type.Object(
  {
    id: Type.String(),
    deleted: Type.Literal(true),
    deletedAt: dateTime(),
  },
  {
    $id: 'EventTombstone',
    additionalProperties: false,
    description: 'An event deleted since the sync token: remove it from your copy. Only in a sync answer.',
  },
)
export type EventTombstoneResource = Static<typeof EventTombstoneSchema>

export const EventPageSchema = Type.Object(
  {
    items: Type.Array(Type.Union([ref(EventSchema), ref(EventTombstoneSchema)]), {
      description:
        'Events; a sync answer (`syncToken` given) also lists deleted events as tombstones. After the last ' +
        'event in sort order, a listing answers the matching events that changed while it was paged (by id)',
    }),
    nextCursor: nullable(
      Type.String({ description: 'Pass as `cursor` for the next page; null on the last' }),
    ),
    syncToken: Type.Optional(
      Type.String({
        description:
          'On the last page only (`nextCursor: null`): pass it as `syncToken` to get every change since this ' +
          'listing or sync began',
      }),
    ),
  },
  { $id: 'EventPage', additionalProperties: false },
)
export type EventPageResource = Static<typeof EventPageSchema>
/** A page of a listing without `syncToken`: events only. */
export type EventListPageResource = Omit<EventPageResource, 'items'> & { items: EventResource[] }

export const DisplacementSchema = Type.Object(
  {
    eventId: Type.String(),
    from: ref(IntervalSchema),
    to: nullable(ref(IntervalSchema)),
  },
  {
    $id: 'Displacement',
    additionalProperties: false,
    description: 'An auto event moved by a fixed one (`to: null`: it could not be placed again and failed).',
  },
)
export type DisplacementResource = Static<typeof DisplacementSchema>

export const JobStateSchema = Type.Union([
  Type.Literal('queued'),
  Type.Literal('active'),
  Type.Literal('completed'),
  Type.Literal('failed'),
])

export const EventAcceptedSchema = Type.Object(
  {
    event: ref(EventSchema),
    job: Type.Object({ id: Type.String(), state: JobStateSchema }, { additionalProperties: false }),
  },
  {
    $id: 'EventAccepted',
    additionalProperties: false,
    description: 'A change was accepted: the event as it is now and the job that will apply the change.',
  },
)
export type EventAcceptedResource = Static<typeof EventAcceptedSchema>

export const PreviewSchema = Type.Object(
  {
    start: nullable(dateTime()),
    end: nullable(dateTime()),
    failure: nullable(ref(FailureSchema)),
    displaced: Type.Array(ref(DisplacementSchema)),
  },
  { $id: 'Preview', additionalProperties: false, description: 'Where the event would be placed now.' },
)
export type PreviewResource = Static<typeof PreviewSchema>

export const JobSchema = Type.Object(
  {
    id: Type.String({ description: 'Opaque, prefixed `job_`' }),
    type: Type.Union(JOB_TYPES.map((type) => Type.Literal(type))),
    eventId: Type.String(),
    state: JobStateSchema,
    outcome: nullable(
      Type.Object({ displaced: Type.Array(ref(DisplacementSchema)) }, { additionalProperties: false }),
    ),
    error: nullable(
      Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false }),
    ),
    createdAt: dateTime(),
    finishedAt: nullable(dateTime()),
  },
  { $id: 'Job', additionalProperties: false },
)
export type JobResource = Static<typeof JobSchema>

// Requests

const AttendeeInput = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 320 }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    required: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
)

const editableFields = {
  title: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
  description: Type.Optional(nullable(Type.String({ maxLength: 5000 }))),
  location: Type.Optional(nullable(Type.String({ maxLength: 500 }))),
  attendees: Type.Optional(
    Type.Array(AttendeeInput, {
      maxItems: MAX_ATTENDEES,
      description: 'Unique emails (compared case-insensitively)',
    }),
  ),
  durationMinutes: Type.Integer({ minimum: 5, maximum: 1440 }),
  start: Type.Optional(
    requestDateTime(
      "Fixed placement: exactly [start, start + duration). The event with the calendar's buffer on both sides must lie in the supported range",
    ),
  ),
  date: Type.Optional(
    localDate(
      `Auto placement within this calendar-local day. The day must lie in the supported range: ${INSTANT_RANGE_RULE}`,
    ),
  ),
  notBefore: Type.Optional(requestDateTime('Auto placement starting at or after this')),
  notAfter: Type.Optional(requestDateTime('Auto placement ending at or before this')),
}

export const EventCreateRequestSchema = Type.Object(editableFields, {
  $id: 'EventCreateRequest',
  additionalProperties: false,
  description:
    'At most one way to say when: `start` (fixed), `date` (auto within the day), `notBefore`/`notAfter` ' +
    '(auto within the window), or nothing (auto, the earliest feasible slot).',
})
export type EventCreateRequest = Static<typeof EventCreateRequestSchema>

export const EventPatchRequestSchema = Type.Object(
  {
    ...editableFields,
    title: Type.Optional(editableFields.title),
    durationMinutes: Type.Optional(editableFields.durationMinutes),
    status: Type.Optional(EventStatus),
  },
  {
    $id: 'EventPatchRequest',
    additionalProperties: false,
    minProperties: 1,
    description:
      '`start` makes the event fixed; `date` / `notBefore` / `notAfter` make it auto and place it again; ' +
      '`status` may be `cancelled` or `completed`.',
  },
)
export type EventPatchRequest = Static<typeof EventPatchRequestSchema>
