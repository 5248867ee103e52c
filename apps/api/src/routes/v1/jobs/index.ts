import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { JobSchema, ref, toJobResource } from '@scheduler/contract'
import { IdParams, problemResponses } from '../../route-schemas.js'

/** `GET /v1/jobs/{id}`: a change and how it went (kept at least 24 h). */
const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/:id',
    {
      config: { scope: 'events:read' },
      schema: {
        tags: ['jobs'],
        summary: 'Get a job',
        operationId: 'getJob',
        description:
          'A placement that finds no slot is a `completed` job whose event is `failed`; a `failed` job ' +
          'means the change itself could not be applied.',
        params: IdParams,
        response: { 200: ref(JobSchema), ...problemResponses(400, 404) },
      },
    },
    async (request) => toJobResource(await app.services.events.job(request.params.id)),
  )
}

export default jobRoutes
