import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  type EventAcceptedResource,
  EventAcceptedSchema,
  EventCreateRequestSchema,
  EventPatchRequestSchema,
  ref,
  toEventResource,
} from '@scheduler/contract'
import type { AnswerSpec } from '../../../plugins/app/idempotency.js'
import type { Accepted } from '../../../services/event-intake-service.js'
import {
  ChangeHeaders,
  EventChangeHeaders,
  IdParams,
  preconditionOf,
  problemResponses,
} from '../../route-schemas.js'
import { createInputOf, patchInputOf } from '../../wire-input.js'

const ACCEPTED = {
  description:
    'Accepted: the event as it is now and the queued job that applies the change. `Location` names the event.',
  headers: { Location: { type: 'string', description: 'The event’s URL, `/v1/events/{id}`' } },
  ...ref(EventAcceptedSchema),
}

/** 202 with the event and its job; `Location` names the event, in a replayed answer too. */
function acceptedAnswer(body: EventAcceptedResource) {
  const location = `/v1/events/${encodeURIComponent(body.event.id)}`
  return { status: 202, body, headers: { location } }
}

const ACCEPTED_ANSWER: AnswerSpec<Accepted> = {
  present: ({ event, job, at }) =>
    acceptedAnswer({ event: toEventResource(event, at), job: { id: job.id, state: job.state } }),
  replay: (recorded) => acceptedAnswer(recorded.body as EventAcceptedResource),
}

/**
 * Changes to events. Each is answered 202 once persisted as a job; the placement worker applies it in
 * arrival order (poll the event's status or the job, or register a webhook).
 */
const intakeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { intake } = app.services

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
      return app.idempotency.write(request, reply, ACCEPTED_ANSWER, (key) => intake.create(input, key()))
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
      const ifMatch = preconditionOf(request.headers['if-match'])
      return app.idempotency.write(request, reply, ACCEPTED_ANSWER, (key) =>
        intake.change(request.params.id, { type: 'update', patch, ifMatch }, key()),
      )
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
      const ifMatch = preconditionOf(request.headers['if-match'])
      return app.idempotency.write(request, reply, ACCEPTED_ANSWER, (key) =>
        intake.change(request.params.id, { type: 'cancel', ifMatch }, key()),
      )
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
      const ifMatch = preconditionOf(request.headers['if-match'])
      return app.idempotency.write(request, reply, ACCEPTED_ANSWER, (key) =>
        intake.change(request.params.id, { type: 'delete', ifMatch }, key()),
      )
    },
  )
}

export default intakeRoutes
