import t from 'tap'
import { build } from '../../helper.js'

interface Operation {
  security?: { bearerAuth: string[] }[]
  parameters?: { name: string; in: string }[]
  requestBody?: unknown
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>
  tags?: string[]
}

t.test('GET /openapi.json', async (t) => {
  const app = await build(t)
  const response = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(response.statusCode, 200)
  const doc = response.json()
  t.equal(doc.openapi, '3.1.0')
  t.match(doc.info, { title: 'scheduler-api', version: String })
  t.match(doc.components.securitySchemes, { bearerAuth: { type: 'http', scheme: 'bearer' } })

  const expected: [string, string, string | null][] = [
    ['get', '/healthz', null],
    ['get', '/readyz', null],
    ['get', '/metrics', null],
    ['get', '/v1/events', 'events:read'],
    ['post', '/v1/events', 'events:write'],
    ['post', '/v1/events/preview', 'events:read'],
    ['get', '/v1/events/{id}', 'events:read'],
    ['patch', '/v1/events/{id}', 'events:write'],
    ['delete', '/v1/events/{id}', 'events:write'],
    ['get', '/v1/events/{id}/status', 'events:read'],
    ['post', '/v1/events/{id}/cancel', 'events:write'],
    ['get', '/v1/jobs/{id}', 'events:read'],
    ['get', '/v1/calendar', 'events:read'],
    ['put', '/v1/calendar', 'calendar:admin'],
    ['post', '/v1/webhooks', 'webhooks:manage'],
    ['get', '/v1/webhooks', 'webhooks:manage'],
    ['delete', '/v1/webhooks/{id}', 'webhooks:manage'],
    ['get', '/v1/webhooks/{id}/deliveries', 'webhooks:manage'],
    ['put', '/v1/attendees/{email}/busy', 'events:write'],
    ['get', '/v1/attendees/{email}/busy', 'events:read'],
    ['get', '/v1/availability', 'events:read'],
  ]
  for (const [method, path, scope] of expected) {
    const operation = doc.paths[path]?.[method] as Operation | undefined
    t.ok(operation, `${method.toUpperCase()} ${path} is documented`)
    if (!operation) continue
    t.ok(operation.tags?.length, `${path} is tagged`)
    if (scope) {
      t.same(operation.security, [{ bearerAuth: [scope] }], `${method} ${path} security`)
      for (const status of ['401', '403', '429', '503']) {
        t.ok(
          operation.responses[status]?.content?.['application/problem+json'],
          `${method} ${path} ${status}`,
        )
      }
    }
    if (path.includes('{id}')) {
      t.ok(
        operation.parameters?.some((p) => p.name === 'id' && p.in === 'path'),
        `${path} has the id parameter`,
      )
    }
  }
  t.notOk(
    Object.keys(doc.paths).some((path) => path.includes(':')),
    'no Fastify-style parameters',
  )

  const create = doc.paths['/v1/events'].post as Operation
  t.match(create.requestBody, {
    content: { 'application/json': { schema: { $ref: '#/components/schemas/EventCreateRequest' } } },
  })
  t.match(create.responses['202'], {
    content: { 'application/json': { schema: { $ref: '#/components/schemas/EventAccepted' } } },
  })
  t.match(create.responses['400'], {
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  })
  t.ok(create.parameters?.some((p) => p.name === 'idempotency-key' && p.in === 'header'))
  for (const name of [
    'Event',
    'Job',
    'Calendar',
    'Problem',
    'Interval',
    'Failure',
    'EventStatusView',
    'Preview',
    'EventPage',
  ]) {
    t.ok(doc.components.schemas[name], `component ${name}`)
  }
  t.same(
    doc.components.schemas.Event.properties.status.anyOf.map(
      (s: { const?: string; enum?: string[] }) => s.const ?? s.enum?.[0],
    ),
    ['pending', 'scheduled', 'in_progress', 'completed', 'cancelled', 'failed'],
  )
})

t.test(
  'every operation: an operationId, a security requirement, the HTTP layer’s refusals, the headers',
  async (t) => {
    const app = await build(t)
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    t.ok(doc.servers?.length, 'servers')
    const ids = new Set<string>()
    const methods = ['get', 'put', 'post', 'patch', 'delete']
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!methods.includes(method)) continue
        const name = `${method.toUpperCase()} ${path}`
        const id = (operation as { operationId?: string }).operationId
        t.match(id, /^[a-z][A-Za-z]+$/, `${name}: camelCase operationId`)
        t.notOk(ids.has(String(id)), `${name}: unique operationId`)
        ids.add(String(id))
        t.ok(Array.isArray(operation.security), `${name}: security declared`)
        const statuses = ['400', '408', '414', '431', ...(method === 'get' ? [] : ['413', '415'])]
        for (const status of statuses) {
          t.ok(operation.responses[status]?.content?.['application/problem+json'], `${name} lists ${status}`)
        }
        for (const [status, response] of Object.entries(operation.responses)) {
          const headers = (response as { headers?: Record<string, unknown> }).headers ?? {}
          for (const header of ['X-Request-Id', 'Cache-Control', 'X-Content-Type-Options']) {
            t.ok(headers[header], `${name} ${status}: ${header}`)
          }
          if (status === '401' || status === '403') t.ok(headers['WWW-Authenticate'], `${name} ${status}`)
          if (status === '429' || status === '503') t.ok(headers['Retry-After'], `${name} ${status}`)
        }
      }
    }
    for (const path of ['/healthz', '/readyz', '/metrics', '/docs', '/openapi.json']) {
      t.same(doc.paths[path]?.get?.security, [], `${path} is public`)
    }
    t.equal(doc.paths['/v1/events'].get.operationId, 'listEvents')
    t.equal(doc.paths['/v1/events'].post.operationId, 'createEvent')
    t.ok(doc.paths['/v1/events'].post.responses['202'].headers.Location, 'Location')
    t.ok(doc.paths['/v1/events'].post.responses['202'].headers['Idempotent-Replayed'], 'Idempotent-Replayed')
    t.ok(doc.paths['/v1/events/{id}'].get.responses['200'].headers.ETag, 'ETag')
    t.ok(doc.paths['/v1/webhooks'].post.responses['201'].headers.Location, 'Location')
    t.ok(doc.paths['/v1/events'].get.responses['422'], 'to before from is a 422')
  },
)

t.test('GET /docs serves the reference page from local assets', async (t) => {
  const app = await build(t)
  let response = await app.inject({ method: 'GET', url: '/docs' })
  if (response.statusCode === 302)
    response = await app.inject({ method: 'GET', url: String(response.headers.location) })
  t.equal(response.statusCode, 200)
  t.match(String(response.headers['content-type']), /text\/html/)
  t.notMatch(response.body, /https?:\/\/(?!localhost)[^"']*\.(js|css)/, 'no remote scripts or styles')
  const script = /src="\.?\/?([^"]*swagger-ui-bundle\.js)"/.exec(response.body)?.[1]
  t.ok(script, 'the bundle is referenced')
  const asset = await app.inject({ method: 'GET', url: `/${script}` })
  t.equal(asset.statusCode, 200)
})
