import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

const DESCRIPTION = `Scheduling backend for the auto event manager.

Changes (create, update, cancel, delete) are accepted with **202** and applied in arrival order by the
placement worker; poll \`GET /v1/events/{id}/status\` or \`GET /v1/jobs/{id}\`, or register a webhook.
Times are RFC 3339 with an offset; answers are UTC with milliseconds. Errors are RFC 9457
\`application/problem+json\`. \`Idempotency-Key\` (≤ 255 characters) is accepted on every POST, PATCH, PUT
and DELETE: the same key with the same request within 24 h answers the same result
(\`Idempotent-Replayed: true\`), with another request 422.`

/**
 * The OpenAPI 3.1 document, generated from the route schemas (`GET /openapi.json`), and the API reference
 * page (`GET /docs`, its assets served from the package, nothing fetched from elsewhere).
 */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'scheduler-api', version: '1.0.0', description: DESCRIPTION },
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description:
                'A JWT (HS256, RS256 or ES256 as configured) with `iss`, `aud`, `exp` and a space-separated ' +
                '`scope`: events:read, events:write, webhooks:manage, calendar:admin.',
            },
          },
        },
        tags: [
          { name: 'events', description: 'Calendar events and their placement' },
          { name: 'jobs', description: 'The changes the placement worker applies' },
          { name: 'calendar', description: 'Calendar settings' },
          { name: 'webhooks', description: 'Failure callbacks' },
          { name: 'attendees', description: 'Attendees’ known busy times' },
          { name: 'availability', description: 'Free slots for given attendees' },
          { name: 'operations', description: 'Health, readiness, metrics' },
          { name: 'admin', description: 'The admin session of the queue dashboard (`/admin/queues`)' },
        ],
      },
      // A collection route registered as `/` under a prefix is documented without the trailing slash
      transform: ({ schema, url }) => ({ schema, url: url.length > 1 ? url.replace(/\/$/, '') : url }),
      refResolver: {
        // Components keep the names of the contract's schemas (`Event`, `Problem`, …)
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `def-${i}`,
      },
    })
    await app.register(fastifySwaggerUi, {
      routePrefix: '/docs',
      uiConfig: { validatorUrl: null, deepLinking: true },
      staticCSP: true,
    })
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'swagger' },
)
