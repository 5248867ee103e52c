import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  type BusyTimesRequest,
  BusyTimesRequestSchema,
  type BusyTimesResource,
  BusyTimesSchema,
  ref,
  toIntervalResource,
} from '@scheduler/contract'
import type { Interval } from '@scheduler/core'
import { Type } from '@sinclair/typebox'
import type { AnswerSpec } from '../../../plugins/app/idempotency.js'
import type { AttendeeBusy } from '../../../services/attendee-service.js'
import { ChangeHeaders, problemResponses } from '../../route-schemas.js'
import { instantAt } from '../../wire-input.js'

const EmailParams = Type.Object(
  {
    email: Type.String({
      format: 'email',
      maxLength: 320,
      description: 'The attendee’s email (URL-encoded or not; compared case-insensitively)',
    }),
  },
  { additionalProperties: false },
)

/** The request's intervals as sent (parsed, not yet checked). */
function busyOf(body: BusyTimesRequest): Interval[] {
  return body.busy.map((interval, i) => ({
    start: instantAt(`/body/busy/${i}/start`, interval.start),
    end: instantAt(`/body/busy/${i}/end`, interval.end),
  }))
}

function toBusyTimesResource({ email, busy }: AttendeeBusy): BusyTimesResource {
  return { email, busy: busy.map(toIntervalResource) }
}

const BUSY_TIMES_ANSWER: AnswerSpec<AttendeeBusy> = {
  present: (busy) => ({ status: 200, body: toBusyTimesResource(busy) }),
}

/**
 * Attendees' known busy times. Auto placement keeps an event's required attendees free of them (and of the
 * occupying events they attend); a fixed event is placed anyway and lists the attendees it clashes with.
 */
const attendeeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { attendees } = app.services

  app.put(
    '/:email/busy',
    {
      config: { scope: 'events:write' },
      schema: {
        tags: ['attendees'],
        summary: 'Replace an attendee’s busy times',
        operationId: 'replaceAttendeeBusyTimes',
        description:
          'Replaces every busy time registered for the attendee (`[]` clears them). Applies to placements ' +
          'made from now on; events already placed keep their time. PUT is idempotent by nature: repeating ' +
          'it has the same effect. `Idempotency-Key` (1–255 characters) is recorded with the change: the ' +
          'same key with the same request answers the recorded 200 again (`Idempotent-Replayed: true`) and ' +
          'writes nothing; the key with another request is a 422.',
        params: EmailParams,
        headers: ChangeHeaders,
        body: ref(BusyTimesRequestSchema),
        response: { 200: ref(BusyTimesSchema), ...problemResponses(400, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const busy = busyOf(request.body)
      return app.idempotency.write(request, reply, BUSY_TIMES_ANSWER, (key) =>
        attendees.replaceBusy(request.params.email, busy, key()),
      )
    },
  )

  app.get(
    '/:email/busy',
    {
      config: { scope: 'events:read' },
      schema: {
        tags: ['attendees'],
        summary: 'Get an attendee’s busy times',
        operationId: 'getAttendeeBusyTimes',
        description: 'An attendee without registered busy times answers an empty list.',
        params: EmailParams,
        response: { 200: ref(BusyTimesSchema), ...problemResponses(400) },
      },
    },
    async (request) => toBusyTimesResource(await attendees.busy(request.params.email)),
  )
}

export default attendeeRoutes
