import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { JobSchema, ref, toJobResource } from '@scheduler/contract'
import { CALENDAR_ID_DEFAULT } from '@scheduler/core'
import { NotFoundProblem } from '../../../errors.js'
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
    async (request) => {
      const job = await app.store.getJob(CALENDAR_ID_DEFAULT, request.params.id)
      if (!job) throw new NotFoundProblem(`Job ${request.params.id} does not exist`)
      return toJobResource(job)
    },
  )
}

export default jobRoutes
