import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  type EventAcceptedResource,
  EventAcceptedSchema,
  EventCreateRequestSchema,
  EventPatchRequestSchema,
  ref,
} from '@scheduler/contract'
import type { FastifyReply } from 'fastify'
import { type IntakeAnswer, makeEventIntake } from '../../../services/event-intake-service.js'
import { createInputOf, patchInputOf } from '../../../services/event-requests.js'
import {
  ChangeHeaders,
  EventChangeHeaders,
  IdParams,
  preconditionOf,
  problemResponses,
} from '../../route-schemas.js'

const ACCEPTED = {
  description:
    'Accepted: the event as it is now and the queued job that applies the change. `Location` names the event.',
  headers: { Location: { type: 'string', description: 'The event’s URL, `/v1/events/{id}`' } },
  ...ref(EventAcceptedSchema),
}

function accepted(reply: FastifyReply, answer: IntakeAnswer) {
  const body = answer.body as EventAcceptedResource
  reply.code(answer.status).header('location', `/v1/events/${encodeURIComponent(body.event.id)}`)
  if (answer.replayed) reply.header('idempotent-replayed', 'true')
  return body
}

/**
 * Changes to events. Each is answered 202 once persisted as a job; the placement worker applies it in
 * arrival order (poll the event's status or the job, or register a webhook).
 */
const intakeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const intake = makeEventIntake({
    store: app.store,
    idempotency: app.idempotency,
    placementQueue: app.placementQueue,
    redis: app.redis,
    log: app.log,
    clock: Date.now,
  })

  app.post(
    '',
    {
      config: { scope: 'events:write' },
      schema: {
        tags: ['events'],
        summary: 'Create an event',
        operationId: 'createEvent',
        description:
          'Fixed with `start`; auto within `date` or `notBefore`/`notAfter`, or the earliest feasible slot ' +
          'within the horizon. The event is `pending` until the worker places it.',
        headers: ChangeHeaders,
        body: ref(EventCreateRequestSchema),
        response: { 202: ACCEPTED, ...problemResponses(400, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const input = createInputOf(request.body)
      const answer = await intake.create(input, app.idempotency.of(request))
      return accepted(reply, answer)
    },
  )

  app.patch(
    '/:id',
    {
      config: { scope: 'events:write' },
      schema: {
        tags: ['events'],
        summary: 'Change an event',
        operationId: 'updateEvent',
        description:
          'A duration change keeps the start when the longer event still fits there. `status` may be set ' +
          'to `cancelled` or `completed` (other values: 422).',
        params: IdParams,
        headers: EventChangeHeaders,
        body: ref(EventPatchRequestSchema),
        response: { 202: ACCEPTED, ...problemResponses(400, 404, 409, 412, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const patch = patchInputOf(request.body)
      const answer = await intake.change(
        request.params.id,
        { type: 'update', patch, ifMatch: preconditionOf(request.headers['if-match']) },
        app.idempotency.of(request),
      )
      return accepted(reply, answer)
    },
  )

  app.post(
    '/:id/cancel',
    {
      config: { scope: 'events:write' },
      schema: {
        tags: ['events'],
        summary: 'Cancel an event',
        operationId: 'cancelEvent',
        description: 'The event is kept with status `cancelled` and its time is freed.',
        params: IdParams,
        headers: EventChangeHeaders,
        response: { 202: ACCEPTED, ...problemResponses(400, 404, 409, 412, 422, 503) },
      },
    },
    async (request, reply) => {
      const answer = await intake.change(
        request.params.id,
        { type: 'cancel', ifMatch: preconditionOf(request.headers['if-match']) },
        app.idempotency.of(request),
      )
      return accepted(reply, answer)
    },
  )

  app.delete(
    '/:id',
    {
      config: { scope: 'events:write' },
      schema: {
        tags: ['events'],
        summary: 'Delete an event',
        operationId: 'deleteEvent',
        description: 'Once processed, the event is gone (404) and its time freed.',
        params: IdParams,
        headers: EventChangeHeaders,
        response: { 202: ACCEPTED, ...problemResponses(400, 404, 412, 422, 503) },
      },
    },
    async (request, reply) => {
      const answer = await intake.change(
        request.params.id,
        { type: 'delete', ifMatch: preconditionOf(request.headers['if-match']) },
        app.idempotency.of(request),
      )
      return accepted(reply, answer)
    },
  )
}

export default intakeRoutes
