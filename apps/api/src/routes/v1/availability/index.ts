import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  AvailabilitySchema,
  MAX_ATTENDEES,
  MAX_AVAILABILITY_SLOTS,
  ref,
  requestDateTime,
  toIntervalResource,
} from '@scheduler/contract'
import {
  attendeeBusyIntervals,
  CALENDAR_ID_DEFAULT,
  createIntervalIndex,
  feasibleSlots,
  type Interval,
  MINUTE_MS,
  planningRange,
} from '@scheduler/core'
import { Type } from '@sinclair/typebox'
import type { preValidationHookHandler } from 'fastify'
import { UnprocessableProblem } from '../../../errors.js'
import { instantAt } from '../../../services/event-requests.js'
import { problemResponses } from '../../route-schemas.js'

const AvailabilityQuery = Type.Object(
  {
    from: requestDateTime('Slots start at or after this'),
    to: requestDateTime('Slots end at or before this; after `from`'),
    durationMinutes: Type.Integer({ minimum: 5, maximum: 1440 }),
    attendees: Type.Optional(
      Type.Array(Type.String({ format: 'email', maxLength: 320 }), {
        maxItems: MAX_ATTENDEES,
        description:
          'Attendees who must be free, all treated as required: a comma list (`a@x.com,b@y.com`) or the ' +
          'parameter repeated',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_AVAILABILITY_SLOTS, default: MAX_AVAILABILITY_SLOTS }),
    ),
  },
  { additionalProperties: false },
)

/** `attendees=a,b` and `attendees=a&attendees=b` mean the same; empty items are ignored. */
const splitAttendeeList: preValidationHookHandler = async (request) => {
  const query = request.query as Record<string, unknown>
  const raw = query.attendees
  if (raw === undefined) return
  const values = Array.isArray(raw) ? raw : [raw]
  query.attendees = values.flatMap((value) =>
    typeof value === 'string' ? value.split(',').filter((item) => item.trim() !== '') : [value],
  )
}

/**
 * Availability: the slots auto placement would consider for an event of a given duration whose listed
 * attendees are all required, computed the way the placement worker computes them.
 */
const availabilityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const calendarId = CALENDAR_ID_DEFAULT

  app.get(
    '',
    {
      config: { scope: 'events:read' },
      preValidation: splitAttendeeList,
      schema: {
        tags: ['availability'],
        summary: 'Find free slots',
        operationId: 'getAvailability',
        description:
          'The feasible starts auto placement would consider for an event of `durationMinutes` inside ' +
          '[`from`, `to`), earliest first, at most `limit` (≤ 500): working hours, slot boundaries, notice, ' +
          'horizon, blackouts and buffers apply; occupying events are avoided, and so are the registered ' +
          'busy times of the listed attendees (all treated as required). `to` not after `from` is a 422. ' +
          'A read, not a reservation: the worker decides when an event is created.',
        querystring: AvailabilityQuery,
        response: { 200: ref(AvailabilitySchema), ...problemResponses(400, 422) },
      },
    },
    async (request) => {
      const { query } = request
      const from = instantAt('/query/from', query.from)
      const to = instantAt('/query/to', query.to)
      if (to <= from) throw UnprocessableProblem.at('/query/to', 'must be after from')
      const emails = new Set((query.attendees ?? []).map((email) => email.toLowerCase()))

      const now = Date.now()
      const settings = await app.store.getCalendar(calendarId)
      if (!settings) throw new Error(`Calendar ${calendarId} is missing`)
      // Only what lies within the buffer of [from, to) can block a slot there: load the planning range's
      // part of it, never the whole horizon for a narrow question
      const buffer = settings.bufferMinutes * MINUTE_MS
      const planning = planningRange(settings, now, {
        durationMinutes: query.durationMinutes,
        requestedStart: null,
      })
      const range = {
        start: Math.max(planning.start, from - buffer),
        end: Math.min(planning.end, to + buffer),
      }
      if (range.end <= range.start) return { slots: [] }

      const occupying = await app.store.occupying(calendarId, range)
      const occupied: Interval[] = []
      for (const event of occupying) {
        if (event.start !== null && event.end !== null) occupied.push({ start: event.start, end: event.end })
      }
      const registered =
        emails.size === 0 ? [] : await app.store.busyOverlapping(calendarId, [...emails], range)
      // Registered busy times are already loaded for all listed attendees at once: the helper adds the
      // occupying events they attend, as the planner does
      const busy = [...registered, ...attendeeBusyIntervals(emails, new Map(), occupying)]

      const slots = feasibleSlots(
        {
          settings,
          now,
          durationMinutes: query.durationMinutes,
          window: { kind: 'range', notBefore: from, notAfter: to },
          occupied: createIntervalIndex(occupied),
          busy: createIntervalIndex(busy),
        },
        query.limit ?? MAX_AVAILABILITY_SLOTS,
      )
      return { slots: slots.map(toIntervalResource) }
    },
  )
}

export default availabilityRoutes
