import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { EventCreateRequestSchema, PreviewSchema, ref } from '@scheduler/contract'
import { makeEventPreview } from '../../../services/event-preview-service.js'
import { createInputOf } from '../../../services/event-requests.js'
import { problemResponses } from '../../route-schemas.js'

/** `POST /v1/events/preview`: where an event would go now; nothing is written. */
const previewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const previews = makeEventPreview({ store: app.store, clock: Date.now })

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
    async (request) => previews.preview(createInputOf(request.body)),
  )
}

export default previewRoutes
