import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  EventCreateRequestSchema,
  type PreviewResource,
  PreviewSchema,
  ref,
  toFailureResource,
  toIntervalResource,
  toWireInstant,
} from '@scheduler/contract'
import type { PlanOutput } from '@scheduler/core'
import { problemResponses } from '../../route-schemas.js'
import { createInputOf } from '../../wire-input.js'

function toPreviewResource({ result, displaced }: PlanOutput): PreviewResource {
  return {
    start: result.status === 'scheduled' ? toWireInstant(result.slot.start) : null,
    end: result.status === 'scheduled' ? toWireInstant(result.slot.end) : null,
    failure: result.status === 'failed' ? toFailureResource(result.failure) : null,
    displaced: displaced.map((displacement) => ({
      eventId: displacement.eventId,
      from: toIntervalResource(displacement.from),
      to: displacement.to === null ? null : toIntervalResource(displacement.to),
    })),
  }
}

/** `POST /v1/events/preview`: where an event would go now; nothing is written. */
const previewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/preview',
    {
      config: { scope: 'events:read' },
      schema: {
        tags: ['events'],
        summary: 'Preview a placement',
        operationId: 'previewEvent',
        description: 'Same body as create; changes nothing.',
        body: ref(EventCreateRequestSchema),
        response: { 200: ref(PreviewSchema), ...problemResponses(400, 413, 415, 422) },
      },
    },
    async (request) => toPreviewResource(await app.services.preview.preview(createInputOf(request.body))),
  )
}

export default previewRoutes
