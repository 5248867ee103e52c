import t from 'tap'
import { canonicalJson, requestHash } from '../../src/services/idempotency-service.js'

t.test('canonicalJson sorts keys at every level and drops undefined', async (t) => {
  t.equal(
    canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } }),
    '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
  )
  t.equal(canonicalJson(undefined), 'null')
  t.equal(canonicalJson('x'), '"x"')
})

t.test('requestHash tells requests apart by method, route, params, body and If-Match', async (t) => {
  const base = { method: 'PATCH', route: '/v1/events/:id', params: { id: 'evt_1' }, body: { title: 'a' } }
  const hash = requestHash(base)
  t.equal(requestHash({ ...base, body: { title: 'a' } }), hash)
  t.equal(requestHash({ ...base, method: 'patch' }), hash)
  t.not(requestHash({ ...base, method: 'POST' }), hash)
  t.not(requestHash({ ...base, route: '/v1/events/:id/cancel' }), hash)
  t.not(requestHash({ ...base, params: { id: 'evt_2' } }), hash)
  t.not(requestHash({ ...base, body: { title: 'b' } }), hash)
  t.not(requestHash({ ...base, ifMatch: '"2"' }), hash)
})
