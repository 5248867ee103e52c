import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { completeDocument } from './openapi-completion.js'

const DESCRIPTION = `Scheduling backend for the auto event manager.

Changes (create, update, cancel, delete) are accepted with **202** and applied in arrival order by the
placement worker; poll \`GET /v1/events/{id}/status\` or \`GET /v1/jobs/{id}\`, or register a webhook.
Times are RFC 3339 with an offset; answers are UTC with milliseconds. Errors are RFC 9457
\`application/problem+json\`. \`Idempotency-Key\` (≤ 255 characters) is accepted on every POST, PATCH, PUT
and DELETE: the same key with the same request within 24 h answers the same result
(\`Idempotent-Replayed: true\`), with another request 422.

Every answer, errors included, carries \`Cache-Control: no-store\`, \`X-Content-Type-Options: nosniff\` and
\`X-Request-Id\`. Refusals made before any route runs are problems too: a malformed URL or request (400),
a request not received in time (408), an \`Expect\` other than \`100-continue\` (417), a URL over 8192
characters (414), request headers over 16 KiB (431).`

/**
 * The OpenAPI 3.1 document, generated from the route schemas (`GET /openapi.json`), and the API reference
 * page (`GET /docs`, its assets served from the package, nothing fetched from elsewhere).
 */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'scheduler-api',
          version: '1.0.0',
          description: DESCRIPTION,
          // No open-source licence: an SPDX `LicenseRef-` names it (OpenAPI 3.1 `identifier`)
          license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
        },
        // The document is served by the API it describes: paths are relative to where it was fetched
        servers: [{ url: '/', description: 'This server' }],
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
      transformObject: completeDocument,
      // A collection route registered as `/` under a prefix is documented without the trailing slash
      transform: ({ schema, url }) => ({ schema, url: url.length > 1 ? url.replace(/\/$/, '') : url }),
      refResolver: {
        // Components keep the names of the contract's schemas (`Event`, `Problem`, …)
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `def-${i}`,
      },
    })
    // The reference page is documented as one public operation (its assets stay hidden)
    app.addHook('onRoute', (route: RouteOptions) => {
      if (route.method === 'GET' && route.url === '/docs') {
        route.schema = {
          hide: false,
          tags: ['operations'],
          summary: 'The API reference (HTML)',
          operationId: 'getApiReference',
          security: [],
          response: {
            200: {
              description: 'A page that renders this document',
              content: { 'text/html': { schema: { type: 'string' } } },
            },
          },
        }
      }
    })
    await app.register(fastifySwaggerUi, {
      routePrefix: '/docs',
      uiConfig: { validatorUrl: null, deepLinking: true },
      staticCSP: true,
    })
    app.get(
      '/openapi.json',
      {
        schema: {
          tags: ['operations'],
          summary: 'This OpenAPI document',
          operationId: 'getOpenApiDocument',
          security: [],
          response: {
            200: {
              description: 'The OpenAPI 3.1 document, generated from the route schemas',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
      // Sent as text: the response schema documents the document, it must not reshape it
      async (_request, reply) => reply.type('application/json').send(JSON.stringify(app.swagger())),
    )
  },
  { name: 'swagger' },
)
