import t from 'tap'
import { bearer, build, createBody } from '../../helper.js'

t.test('problem answers and headers', async (t) => {
  const app = await build(t, { BODY_LIMIT_BYTES: '2048' })

  t.test('an unknown route is a 404 problem', async (t) => {
    for (const [method, url] of [
      ['GET', '/nope'],
      ['GET', '/v1/nope'],
      ['POST', '/v1/events/evt_1/uncancel'],
    ] as const) {
      const response = await app.inject({ method, url, headers: bearer() })
      t.equal(response.statusCode, 404, url)
      t.match(String(response.headers['content-type']), /^application\/problem\+json/)
      t.match(response.json(), {
        type: String,
        title: 'Not found',
        status: 404,
        detail: String,
        requestId: String,
      })
    }
  })

  t.test('a body over BODY_LIMIT_BYTES is a 413', async (t) => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: bearer(),
      payload: createBody({ description: 'x'.repeat(4000) }),
    })
    t.equal(response.statusCode, 413)
    t.match(response.json(), { status: 413, title: String })
  })

  t.test('a body that is not JSON is a 415', async (t) => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { ...bearer(), 'content-type': contentType },
        payload: 'title=x',
      })
      t.equal(response.statusCode, 415, contentType)
      t.match(response.json(), { status: 415 })
    }
  })

  t.test('the request id is echoed and can come from the client', async (t) => {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/events/evt_x',
      headers: { ...bearer(), 'x-request-id': 'client-123' },
    })
    t.equal(response.headers['x-request-id'], 'client-123')
    t.equal(response.json().requestId, 'client-123')
    const invalid = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'bad id\twith spaces' },
    })
    t.not(invalid.headers['x-request-id'], 'bad id\twith spaces')
  })

  t.test('every answer carries Cache-Control: no-store and X-Content-Type-Options: nosniff', async (t) => {
    const requests = [
      { method: 'GET' as const, url: '/healthz' },
      { method: 'GET' as const, url: '/readyz' },
      { method: 'GET' as const, url: '/metrics' },
      { method: 'GET' as const, url: '/openapi.json' },
      { method: 'GET' as const, url: '/docs' },
      { method: 'GET' as const, url: '/nope' },
      { method: 'GET' as const, url: '/v1/events' },
      { method: 'GET' as const, url: '/v1/events', headers: bearer() },
      { method: 'GET' as const, url: '/v1/events', headers: bearer({ scopes: ['events:write'] }) },
      { method: 'GET' as const, url: '/v1/calendar', headers: bearer() },
      { method: 'POST' as const, url: '/v1/events', headers: bearer(), payload: createBody() },
      { method: 'POST' as const, url: '/v1/events', headers: bearer(), payload: { title: 42 } },
      { method: 'DELETE' as const, url: '/v1/events/evt_missing', headers: bearer() },
    ]
    for (const request of requests) {
      const response = await app.inject(request)
      const name = `${request.method} ${request.url} → ${response.statusCode}`
      t.equal(response.headers['cache-control'], 'no-store', name)
      t.equal(response.headers['x-content-type-options'], 'nosniff', name)
    }
  })
})
