import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ProblemSchema, ref } from '@scheduler/contract'
import { Type } from '@sinclair/typebox'

const Health = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false })
const Readiness = Type.Object(
  {
    status: Type.Literal('ok'),
    checks: Type.Object(
      { redis: Type.Literal('ok'), store: Type.Literal('ok') },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)

/** Liveness and readiness for orchestrators (no authentication, no rate limit). */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process runs',
        operationId: 'getLiveness',
        security: [],
        response: { 200: Health },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: Redis and the store answer',
        operationId: 'getReadiness',
        security: [],
        response: {
          200: Readiness,
          503: {
            description: 'Redis or the store does not answer',
            content: { 'application/problem+json': { schema: ref(ProblemSchema) } },
          },
        },
      },
    },
    async (request) => {
      await app.services.readiness.check(request.log)
      return { status: 'ok' as const, checks: { redis: 'ok' as const, store: 'ok' as const } }
    },
  )
}

export default healthRoutes
