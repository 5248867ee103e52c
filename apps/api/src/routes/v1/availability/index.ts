import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  AvailabilitySchema,
  MAX_ATTENDEES,
  MAX_AVAILABILITY_SLOTS,
  ref,
  requestDateTime,
  toIntervalResource,
} from '@scheduler/contract'
import { Type } from '@sinclair/typebox'
import type { preValidationHookHandler } from 'fastify'
import { problemResponses } from '../../route-schemas.js'
import { queryRange } from '../../wire-input.js'

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
      const slots = await app.services.availability.slots({
        range: queryRange(query.from, query.to),
        durationMinutes: query.durationMinutes,
        attendees: new Set((query.attendees ?? []).map((email) => email.toLowerCase())),
        limit: query.limit ?? MAX_AVAILABILITY_SLOTS,
      })
      return { slots: slots.map(toIntervalResource) }
    },
  )
}

export default availabilityRoutes
