import type { FastifyPluginAsync, RouteOptions } from 'fastify'
import { isScope } from '../../auth/scopes.js'
import { problemResponse } from '../route-schemas.js'
import attendeeRoutes from './attendees/index.js'
import availabilityRoutes from './availability/index.js'
import calendarRoutes from './calendar/index.js'
import eventRoutes from './events/index.js'
import jobRoutes from './jobs/index.js'
import webhookRoutes from './webhooks/index.js'

/**
 * Every `/v1` route requires a bearer token with the scope the route declares in `config.scope`. A route
 * registered here without a known scope stops the app from starting. The scope, the security requirement
 * and the 401/403/429/503 answers are also written into each route's OpenAPI description.
 */
const v1Routes: FastifyPluginAsync = async (app) => {
  app.addHook('onRoute', (route: RouteOptions) => {
    const scope = route.config?.scope
    if (!scope || !isScope(scope)) {
      throw new Error(
        `Route ${route.method} ${route.url} must declare config.scope (one of the known scopes)`,
      )
    }
    const schema = route.schema ?? {}
    route.schema = {
      ...schema,
      security: [{ bearerAuth: [scope] }],
      description: [schema.description, `Requires the scope \`${scope}\`.`].filter(Boolean).join('\n\n'),
      response: {
        ...(schema.response as Record<string, unknown> | undefined),
        401: problemResponse(401),
        403: problemResponse(403),
        429: problemResponse(429),
        503: problemResponse(503),
      },
    }
  })
  app.addHook('onRequest', app.authorize)

  await app.register(eventRoutes, { prefix: '/events' })
  await app.register(jobRoutes, { prefix: '/jobs' })
  await app.register(calendarRoutes, { prefix: '/calendar' })
  await app.register(webhookRoutes, { prefix: '/webhooks' })
  await app.register(attendeeRoutes, { prefix: '/attendees' })
  await app.register(availabilityRoutes, { prefix: '/availability' })
}

export default v1Routes
