import t from 'tap'
import { bearer, build } from '../../apps/api/test/helper.js'

// Faults the contract fuzzer (openapi-fuzz.test.ts) found, kept as plain cases.

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8'

t.test('a URL too long for the OpenAPI document or the reference page is a 414 problem', async (t) => {
  const app = await build(t)
  for (const path of ['/openapi.json', '/docs']) {
    const answer = await app.inject({ method: 'GET', url: `${path}?pad=${'p'.repeat(9000)}` })
    t.equal(answer.statusCode, 414, path)
    t.equal(answer.headers['content-type'], PROBLEM_TYPE, `${path}: problem+json`)
    t.equal(answer.headers['cache-control'], 'no-store', `${path}: standard headers`)
    t.match(answer.json(), { status: 414, title: String, requestId: String })
  }
})

t.test('a query number that overflows to Infinity is a 400, not a 500', async (t) => {
  const app = await build(t)
  for (const query of [
    'limit=1e400',
    'limit=-1e400',
    `limit=${'9'.repeat(400)}`,
    'order=start&limit=1e999',
  ]) {
    const answer = await app.inject({ method: 'GET', url: `/v1/events?${query}`, headers: bearer() })
    t.equal(answer.statusCode, 400, query)
    t.match(
      answer.json(),
      { status: 400, errors: [{ path: '/query/limit' }] },
      `${query}: names the parameter`,
    )
  }
  const availability = await app.inject({
    method: 'GET',
    url: '/v1/availability?from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z&durationMinutes=1e400&attendees=a@example.com',
    headers: bearer(),
  })
  t.equal(availability.statusCode, 400, 'availability: durationMinutes=1e400')
})

t.test('a JSON body nested deeper than the limit is a 400 before anything reads it', async (t) => {
  const app = await build(t)
  const created = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: bearer(),
    payload: { title: 'Nested', durationMinutes: 30 },
  })
  const id = created.json().event.id
  // DELETE takes no body but accepts a JSON one; with an Idempotency-Key its hash walked it recursively
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`
  const answer = await app.inject({
    method: 'DELETE',
    url: `/v1/events/${id}`,
    headers: { ...bearer(), 'idempotency-key': 'deep', 'content-type': 'application/json' },
    payload: deep,
  })
  t.equal(answer.statusCode, 400, 'refused')
  t.equal(answer.headers['content-type'], PROBLEM_TYPE)
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/events/${id}`, headers: bearer() })).statusCode,
    200,
    'not deleted',
  )
  const objects = `${'{"a":'.repeat(65)}1${'}'.repeat(65)}`
  const create = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { ...bearer(), 'content-type': 'application/json' },
    payload: objects,
  })
  t.equal(create.statusCode, 400, 'objects too')
  const shallow = '{"title":"[[[[{{{{ in a string","durationMinutes":30}'
  const fine = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { ...bearer(), 'content-type': 'application/json' },
    payload: shallow,
  })
  t.equal(fine.statusCode, 202, 'brackets inside strings do not count')
})
