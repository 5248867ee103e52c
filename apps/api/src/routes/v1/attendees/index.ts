import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  type BusyTimesRequest,
  BusyTimesRequestSchema,
  type BusyTimesResource,
  BusyTimesSchema,
  ref,
  toIntervalResource,
} from '@scheduler/contract'
import { CALENDAR_ID_DEFAULT, type Interval } from '@scheduler/core'
import { Type } from '@sinclair/typebox'
import { type FieldError, UnprocessableProblem } from '../../../errors.js'
import { instantAt } from '../../../services/event-requests.js'
import { ChangeHeaders, problemResponses } from '../../route-schemas.js'

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

/** The request's intervals, sorted; an interval whose end is not after its start is a 422. */
function busyOf(body: BusyTimesRequest): Interval[] {
  const errors: FieldError[] = []
  const busy = body.busy.map((interval, i) => {
    const start = instantAt(`/body/busy/${i}/start`, interval.start)
    const end = instantAt(`/body/busy/${i}/end`, interval.end)
    if (end <= start) errors.push({ path: `/body/busy/${i}/end`, message: 'must be after start' })
    return { start, end }
  })
  if (errors.length > 0) {
    const shown = errors.slice(0, 3).map((error) => `${error.path}: ${error.message}`)
    if (errors.length > shown.length) shown.push(`and ${errors.length - shown.length} more`)
    throw new UnprocessableProblem(shown.join('; '), errors)
  }
  return busy.sort((a, b) => a.start - b.start || a.end - b.end)
}

function busyTimesResource(email: string, busy: Interval[]): BusyTimesResource {
  return { email, busy: busy.map(toIntervalResource) }
}

/**
 * Attendees' known busy times. Auto placement keeps an event's required attendees free of them (and of the
 * occupying events they attend); a fixed event is placed anyway and lists the attendees it clashes with.
 */
const attendeeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const calendarId = CALENDAR_ID_DEFAULT

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
      const email = request.params.email.toLowerCase()
      const busy = busyOf(request.body)
      const context = app.idempotency.of(request)
      const now = Date.now()
      const stored = await app.idempotency.lookup(context, now)
      if (stored) return app.idempotency.replay(reply, stored)
      const body = busyTimesResource(email, busy)
      const result = await app.store.putBusy(
        calendarId,
        email,
        busy,
        app.idempotency.record(context, { status: 200, body }, now),
      )
      if (result.kind === 'replay' && context) {
        return app.idempotency.replay(reply, app.idempotency.answerOf(context, result.record))
      }
      return body
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
    async (request) => {
      const email = request.params.email.toLowerCase()
      return busyTimesResource(email, await app.store.getBusy(calendarId, email))
    },
  )
}

export default attendeeRoutes
