import t from 'tap'
import { build } from '../../apps/api/test/helper.js'

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
